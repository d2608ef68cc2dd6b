-- AlterTable
ALTER TABLE "vector_change" ADD COLUMN     "message_id" INTEGER;

-- CreateTable
CREATE TABLE "message_index" (
    "message_id" INTEGER NOT NULL,
    "entity_id" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "embedding" BYTEA,
    "embedding_model" TEXT,
    "embedding_dim" INTEGER,

    CONSTRAINT "message_index_pkey" PRIMARY KEY ("message_id")
);

-- CreateIndex
CREATE INDEX "message_index_entity_id_idx" ON "message_index"("entity_id");

-- AddForeignKey
ALTER TABLE "message_index" ADD CONSTRAINT "message_index_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "conversation_message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

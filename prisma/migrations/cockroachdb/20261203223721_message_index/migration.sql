-- AlterTable
ALTER TABLE "vector_change" ADD COLUMN     "message_id" INT4;

-- CreateTable
CREATE TABLE "message_index" (
    "message_id" INT4 NOT NULL,
    "entity_id" INT4 NOT NULL,
    "text" STRING NOT NULL,
    "embedding" BYTEA,
    "embedding_model" STRING,
    "embedding_dim" INT4,

    CONSTRAINT "message_index_pkey" PRIMARY KEY ("message_id")
);

-- CreateIndex
CREATE INDEX "message_index_entity_id_idx" ON "message_index"("entity_id");

-- AddForeignKey
ALTER TABLE "message_index" ADD CONSTRAINT "message_index_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "conversation_message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

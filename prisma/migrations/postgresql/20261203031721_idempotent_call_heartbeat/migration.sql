-- AlterTable
ALTER TABLE "augmentation_job" ADD COLUMN     "heartbeat_until" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "idempotent_call" (
    "id" SERIAL NOT NULL,
    "entity_id" INTEGER NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "conversation_id" INTEGER NOT NULL,
    "first_message_id" INTEGER NOT NULL,
    "last_message_id" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotent_call_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "idempotent_call_conversation_id_idx" ON "idempotent_call"("conversation_id");

-- CreateIndex
CREATE UNIQUE INDEX "idempotent_call_entity_id_idempotency_key_key" ON "idempotent_call"("entity_id", "idempotency_key");

-- AddForeignKey
ALTER TABLE "idempotent_call" ADD CONSTRAINT "idempotent_call_entity_id_fkey" FOREIGN KEY ("entity_id") REFERENCES "entity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "idempotent_call" ADD CONSTRAINT "idempotent_call_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

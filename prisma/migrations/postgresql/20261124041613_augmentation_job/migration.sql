-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('PENDING', 'RUNNING', 'DONE', 'PARKED');

-- CreateTable
CREATE TABLE "augmentation_job" (
    "id" SERIAL NOT NULL,
    "conversation_id" INTEGER NOT NULL,
    "entity_id" INTEGER NOT NULL,
    "first_message_id" INTEGER NOT NULL,
    "last_message_id" INTEGER NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "run_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lease_owner" TEXT,
    "lease_until" TIMESTAMP(3),
    "last_error" TEXT,
    "extractor" TEXT,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "facts_found" INTEGER NOT NULL DEFAULT 0,
    "triples_found" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMP(3),
    "completed_at" TIMESTAMP(3),

    CONSTRAINT "augmentation_job_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "augmentation_job_status_run_at_idx" ON "augmentation_job"("status", "run_at");

-- CreateIndex
CREATE INDEX "augmentation_job_conversation_id_idx" ON "augmentation_job"("conversation_id");

-- CreateIndex
CREATE INDEX "augmentation_job_entity_id_completed_at_idx" ON "augmentation_job"("entity_id", "completed_at");

-- AddForeignKey
ALTER TABLE "augmentation_job" ADD CONSTRAINT "augmentation_job_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "augmentation_job" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "conversation_id" INTEGER NOT NULL,
    "entity_id" INTEGER NOT NULL,
    "first_message_id" INTEGER NOT NULL,
    "last_message_id" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "run_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lease_owner" TEXT,
    "lease_until" DATETIME,
    "last_error" TEXT,
    "extractor" TEXT,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "facts_found" INTEGER NOT NULL DEFAULT 0,
    "triples_found" INTEGER NOT NULL DEFAULT 0,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" DATETIME,
    "completed_at" DATETIME,
    CONSTRAINT "augmentation_job_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversation" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "augmentation_job_status_run_at_idx" ON "augmentation_job"("status", "run_at");

-- CreateIndex
CREATE INDEX "augmentation_job_conversation_id_idx" ON "augmentation_job"("conversation_id");

-- CreateIndex
CREATE INDEX "augmentation_job_entity_id_completed_at_idx" ON "augmentation_job"("entity_id", "completed_at");

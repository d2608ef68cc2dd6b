-- CreateTable
CREATE TABLE "engram_meta" (
    "key" STRING NOT NULL,
    "value" STRING NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "engram_meta_pkey" PRIMARY KEY ("key")
);

-- This database's name: 32 random hex digits, written once.
INSERT INTO "engram_meta" ("key", "value") VALUES ('database_id', replace(gen_random_uuid()::STRING, '-', ''));

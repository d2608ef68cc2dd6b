-- CreateTable
CREATE TABLE "engram_meta" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "engram_meta_pkey" PRIMARY KEY ("key")
);

-- This database's name: 32 random hex digits, written once.
INSERT INTO "engram_meta" ("key", "value") VALUES ('database_id', md5(random()::text || clock_timestamp()::text));

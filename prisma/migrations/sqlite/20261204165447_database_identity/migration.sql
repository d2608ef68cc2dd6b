-- CreateTable
CREATE TABLE "engram_meta" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- This database's name: 32 random hex digits, written once.
INSERT INTO "engram_meta" ("key", "value") VALUES ('database_id', lower(hex(randomblob(16))));

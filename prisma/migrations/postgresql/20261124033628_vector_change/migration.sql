-- CreateTable
CREATE TABLE "vector_change" (
    "id" SERIAL NOT NULL,
    "entity_id" INTEGER NOT NULL,
    "fact_id" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vector_change_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "vector_change_created_at_idx" ON "vector_change"("created_at");

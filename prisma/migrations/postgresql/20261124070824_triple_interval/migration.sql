-- CreateTable
CREATE TABLE "triple_interval" (
    "id" SERIAL NOT NULL,
    "triple_id" INTEGER NOT NULL,
    "valid_from" TIMESTAMP(3) NOT NULL,
    "valid_to" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "triple_interval_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "triple_interval_triple_id_idx" ON "triple_interval"("triple_id");

-- AddForeignKey
ALTER TABLE "triple_interval" ADD CONSTRAINT "triple_interval_triple_id_fkey" FOREIGN KEY ("triple_id") REFERENCES "knowledge_graph"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "message_index" ADD COLUMN     "previous_id" INTEGER;

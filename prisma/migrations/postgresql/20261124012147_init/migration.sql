-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "FactCategory" AS ENUM ('FACT', 'PREFERENCE', 'SKILL', 'RELATIONSHIP', 'ATTRIBUTE');

-- CreateEnum
CREATE TYPE "MessageRole" AS ENUM ('USER', 'ASSISTANT', 'SYSTEM', 'TOOL');

-- CreateTable
CREATE TABLE "entity" (
    "id" SERIAL NOT NULL,
    "external_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "entity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "process" (
    "id" SERIAL NOT NULL,
    "external_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "process_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "process_attribute" (
    "id" SERIAL NOT NULL,
    "process_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "mention_count" INTEGER NOT NULL DEFAULT 1,
    "last_mentioned_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "process_attribute_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "session" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "entity_id" INTEGER NOT NULL,
    "process_id" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversation" (
    "id" SERIAL NOT NULL,
    "session_id" INTEGER NOT NULL,
    "summary" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversation_message" (
    "id" SERIAL NOT NULL,
    "conversation_id" INTEGER NOT NULL,
    "role" "MessageRole" NOT NULL,
    "type" TEXT NOT NULL DEFAULT 'text',
    "content" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversation_message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "entity_fact" (
    "id" SERIAL NOT NULL,
    "entity_id" INTEGER NOT NULL,
    "content" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "category" "FactCategory" NOT NULL DEFAULT 'FACT',
    "embedding" BYTEA,
    "embedding_model" TEXT,
    "embedding_dim" INTEGER,
    "mention_count" INTEGER NOT NULL DEFAULT 1,
    "last_mentioned_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "entity_fact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fact_mention" (
    "id" SERIAL NOT NULL,
    "fact_id" INTEGER NOT NULL,
    "message_id" INTEGER,
    "conversation_id" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "fact_mention_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subject" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT,

    CONSTRAINT "subject_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "predicate" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "predicate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "object" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT,

    CONSTRAINT "object_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "knowledge_graph" (
    "id" SERIAL NOT NULL,
    "entity_id" INTEGER NOT NULL,
    "subject_id" INTEGER NOT NULL,
    "predicate_id" INTEGER NOT NULL,
    "object_id" INTEGER NOT NULL,
    "mention_count" INTEGER NOT NULL DEFAULT 1,
    "last_mentioned_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "valid_from" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "valid_to" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "knowledge_graph_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "triple_mention" (
    "id" SERIAL NOT NULL,
    "triple_id" INTEGER NOT NULL,
    "message_id" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "triple_mention_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "entity_external_id_key" ON "entity"("external_id");

-- CreateIndex
CREATE INDEX "entity_created_at_idx" ON "entity"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "process_external_id_key" ON "process"("external_id");

-- CreateIndex
CREATE UNIQUE INDEX "process_attribute_process_id_name_value_key" ON "process_attribute"("process_id", "name", "value");

-- CreateIndex
CREATE UNIQUE INDEX "session_uuid_key" ON "session"("uuid");

-- CreateIndex
CREATE INDEX "session_entity_id_process_id_idx" ON "session"("entity_id", "process_id");

-- CreateIndex
CREATE INDEX "session_entity_id_created_at_idx" ON "session"("entity_id", "created_at");

-- CreateIndex
CREATE INDEX "session_process_id_idx" ON "session"("process_id");

-- CreateIndex
CREATE INDEX "conversation_session_id_created_at_idx" ON "conversation"("session_id", "created_at");

-- CreateIndex
CREATE INDEX "conversation_message_conversation_id_created_at_idx" ON "conversation_message"("conversation_id", "created_at");

-- CreateIndex
CREATE INDEX "entity_fact_entity_id_last_mentioned_at_idx" ON "entity_fact"("entity_id", "last_mentioned_at");

-- CreateIndex
CREATE INDEX "entity_fact_entity_id_mention_count_idx" ON "entity_fact"("entity_id", "mention_count");

-- CreateIndex
CREATE INDEX "entity_fact_entity_id_category_idx" ON "entity_fact"("entity_id", "category");

-- CreateIndex
CREATE UNIQUE INDEX "entity_fact_entity_id_content_hash_key" ON "entity_fact"("entity_id", "content_hash");

-- CreateIndex
CREATE INDEX "fact_mention_fact_id_idx" ON "fact_mention"("fact_id");

-- CreateIndex
CREATE INDEX "fact_mention_message_id_idx" ON "fact_mention"("message_id");

-- CreateIndex
CREATE INDEX "fact_mention_conversation_id_idx" ON "fact_mention"("conversation_id");

-- CreateIndex
CREATE UNIQUE INDEX "subject_name_key" ON "subject"("name");

-- CreateIndex
CREATE UNIQUE INDEX "predicate_name_key" ON "predicate"("name");

-- CreateIndex
CREATE UNIQUE INDEX "object_name_key" ON "object"("name");

-- CreateIndex
CREATE INDEX "knowledge_graph_entity_id_last_mentioned_at_idx" ON "knowledge_graph"("entity_id", "last_mentioned_at");

-- CreateIndex
CREATE INDEX "knowledge_graph_entity_id_predicate_id_idx" ON "knowledge_graph"("entity_id", "predicate_id");

-- CreateIndex
CREATE INDEX "knowledge_graph_subject_id_idx" ON "knowledge_graph"("subject_id");

-- CreateIndex
CREATE INDEX "knowledge_graph_object_id_idx" ON "knowledge_graph"("object_id");

-- CreateIndex
CREATE UNIQUE INDEX "knowledge_graph_entity_id_subject_id_predicate_id_object_id_key" ON "knowledge_graph"("entity_id", "subject_id", "predicate_id", "object_id");

-- CreateIndex
CREATE INDEX "triple_mention_triple_id_idx" ON "triple_mention"("triple_id");

-- CreateIndex
CREATE INDEX "triple_mention_message_id_idx" ON "triple_mention"("message_id");

-- AddForeignKey
ALTER TABLE "process_attribute" ADD CONSTRAINT "process_attribute_process_id_fkey" FOREIGN KEY ("process_id") REFERENCES "process"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "session" ADD CONSTRAINT "session_entity_id_fkey" FOREIGN KEY ("entity_id") REFERENCES "entity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "session" ADD CONSTRAINT "session_process_id_fkey" FOREIGN KEY ("process_id") REFERENCES "process"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation" ADD CONSTRAINT "conversation_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation_message" ADD CONSTRAINT "conversation_message_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "entity_fact" ADD CONSTRAINT "entity_fact_entity_id_fkey" FOREIGN KEY ("entity_id") REFERENCES "entity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fact_mention" ADD CONSTRAINT "fact_mention_fact_id_fkey" FOREIGN KEY ("fact_id") REFERENCES "entity_fact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fact_mention" ADD CONSTRAINT "fact_mention_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "conversation_message"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fact_mention" ADD CONSTRAINT "fact_mention_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversation"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "knowledge_graph" ADD CONSTRAINT "knowledge_graph_entity_id_fkey" FOREIGN KEY ("entity_id") REFERENCES "entity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "knowledge_graph" ADD CONSTRAINT "knowledge_graph_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subject"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "knowledge_graph" ADD CONSTRAINT "knowledge_graph_predicate_id_fkey" FOREIGN KEY ("predicate_id") REFERENCES "predicate"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "knowledge_graph" ADD CONSTRAINT "knowledge_graph_object_id_fkey" FOREIGN KEY ("object_id") REFERENCES "object"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "triple_mention" ADD CONSTRAINT "triple_mention_triple_id_fkey" FOREIGN KEY ("triple_id") REFERENCES "knowledge_graph"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "triple_mention" ADD CONSTRAINT "triple_mention_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "conversation_message"("id") ON DELETE SET NULL ON UPDATE CASCADE;

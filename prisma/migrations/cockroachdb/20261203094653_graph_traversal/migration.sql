-- CreateIndex
CREATE INDEX "knowledge_graph_entity_id_subject_id_valid_to_idx" ON "knowledge_graph"("entity_id", "subject_id", "valid_to");

-- CreateIndex
CREATE INDEX "knowledge_graph_entity_id_object_id_valid_to_idx" ON "knowledge_graph"("entity_id", "object_id", "valid_to");

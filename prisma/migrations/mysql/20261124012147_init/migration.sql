-- CreateTable
CREATE TABLE `entity` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `external_id` VARCHAR(255) NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `entity_external_id_key`(`external_id`),
    INDEX `entity_created_at_idx`(`created_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `process` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `external_id` VARCHAR(255) NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `process_external_id_key`(`external_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `process_attribute` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `process_id` INTEGER NOT NULL,
    `name` VARCHAR(191) NOT NULL,
    `value` VARCHAR(512) NOT NULL,
    `mention_count` INTEGER NOT NULL DEFAULT 1,
    `last_mentioned_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `process_attribute_process_id_name_value_key`(`process_id`, `name`, `value`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `session` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `uuid` VARCHAR(128) NOT NULL,
    `entity_id` INTEGER NOT NULL,
    `process_id` INTEGER NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `session_uuid_key`(`uuid`),
    INDEX `session_entity_id_process_id_idx`(`entity_id`, `process_id`),
    INDEX `session_entity_id_created_at_idx`(`entity_id`, `created_at`),
    INDEX `session_process_id_idx`(`process_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `conversation` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `session_id` INTEGER NOT NULL,
    `summary` MEDIUMTEXT,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `conversation_session_id_created_at_idx`(`session_id`, `created_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `conversation_message` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `conversation_id` INTEGER NOT NULL,
    `role` ENUM('USER', 'ASSISTANT', 'SYSTEM', 'TOOL') NOT NULL,
    `type` VARCHAR(64) NOT NULL DEFAULT 'text',
    `content` MEDIUMTEXT NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `conversation_message_conversation_id_created_at_idx`(`conversation_id`, `created_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `entity_fact` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `entity_id` INTEGER NOT NULL,
    `content` MEDIUMTEXT NOT NULL,
    `content_hash` CHAR(64) NOT NULL,
    `category` ENUM('FACT', 'PREFERENCE', 'SKILL', 'RELATIONSHIP', 'ATTRIBUTE') NOT NULL DEFAULT 'FACT',
    `embedding` LONGBLOB,
    `embedding_model` VARCHAR(255),
    `embedding_dim` INTEGER,
    `mention_count` INTEGER NOT NULL DEFAULT 1,
    `last_mentioned_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `entity_fact_entity_id_last_mentioned_at_idx`(`entity_id`, `last_mentioned_at`),
    INDEX `entity_fact_entity_id_mention_count_idx`(`entity_id`, `mention_count`),
    INDEX `entity_fact_entity_id_category_idx`(`entity_id`, `category`),
    UNIQUE INDEX `entity_fact_entity_id_content_hash_key`(`entity_id`, `content_hash`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `fact_mention` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `fact_id` INTEGER NOT NULL,
    `message_id` INTEGER,
    `conversation_id` INTEGER,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `fact_mention_fact_id_idx`(`fact_id`),
    INDEX `fact_mention_message_id_idx`(`message_id`),
    INDEX `fact_mention_conversation_id_idx`(`conversation_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `subject` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `name` VARCHAR(512) NOT NULL,
    `type` VARCHAR(64),

    UNIQUE INDEX `subject_name_key`(`name`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `predicate` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `name` VARCHAR(512) NOT NULL,

    UNIQUE INDEX `predicate_name_key`(`name`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `object` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `name` VARCHAR(512) NOT NULL,
    `type` VARCHAR(64),

    UNIQUE INDEX `object_name_key`(`name`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `knowledge_graph` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `entity_id` INTEGER NOT NULL,
    `subject_id` INTEGER NOT NULL,
    `predicate_id` INTEGER NOT NULL,
    `object_id` INTEGER NOT NULL,
    `mention_count` INTEGER NOT NULL DEFAULT 1,
    `last_mentioned_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `valid_from` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `valid_to` DATETIME(3),
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `knowledge_graph_entity_id_last_mentioned_at_idx`(`entity_id`, `last_mentioned_at`),
    INDEX `knowledge_graph_entity_id_predicate_id_idx`(`entity_id`, `predicate_id`),
    INDEX `knowledge_graph_subject_id_idx`(`subject_id`),
    INDEX `knowledge_graph_object_id_idx`(`object_id`),
    UNIQUE INDEX `knowledge_graph_entity_id_subject_id_predicate_id_object_id_key`(`entity_id`, `subject_id`, `predicate_id`, `object_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `triple_mention` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `triple_id` INTEGER NOT NULL,
    `message_id` INTEGER,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `triple_mention_triple_id_idx`(`triple_id`),
    INDEX `triple_mention_message_id_idx`(`message_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- AddForeignKey
ALTER TABLE `process_attribute` ADD CONSTRAINT `process_attribute_process_id_fkey` FOREIGN KEY (`process_id`) REFERENCES `process`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `session` ADD CONSTRAINT `session_entity_id_fkey` FOREIGN KEY (`entity_id`) REFERENCES `entity`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `session` ADD CONSTRAINT `session_process_id_fkey` FOREIGN KEY (`process_id`) REFERENCES `process`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `conversation` ADD CONSTRAINT `conversation_session_id_fkey` FOREIGN KEY (`session_id`) REFERENCES `session`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `conversation_message` ADD CONSTRAINT `conversation_message_conversation_id_fkey` FOREIGN KEY (`conversation_id`) REFERENCES `conversation`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `entity_fact` ADD CONSTRAINT `entity_fact_entity_id_fkey` FOREIGN KEY (`entity_id`) REFERENCES `entity`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `fact_mention` ADD CONSTRAINT `fact_mention_fact_id_fkey` FOREIGN KEY (`fact_id`) REFERENCES `entity_fact`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `fact_mention` ADD CONSTRAINT `fact_mention_message_id_fkey` FOREIGN KEY (`message_id`) REFERENCES `conversation_message`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `fact_mention` ADD CONSTRAINT `fact_mention_conversation_id_fkey` FOREIGN KEY (`conversation_id`) REFERENCES `conversation`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `knowledge_graph` ADD CONSTRAINT `knowledge_graph_entity_id_fkey` FOREIGN KEY (`entity_id`) REFERENCES `entity`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `knowledge_graph` ADD CONSTRAINT `knowledge_graph_subject_id_fkey` FOREIGN KEY (`subject_id`) REFERENCES `subject`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `knowledge_graph` ADD CONSTRAINT `knowledge_graph_predicate_id_fkey` FOREIGN KEY (`predicate_id`) REFERENCES `predicate`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `knowledge_graph` ADD CONSTRAINT `knowledge_graph_object_id_fkey` FOREIGN KEY (`object_id`) REFERENCES `object`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `triple_mention` ADD CONSTRAINT `triple_mention_triple_id_fkey` FOREIGN KEY (`triple_id`) REFERENCES `knowledge_graph`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `triple_mention` ADD CONSTRAINT `triple_mention_message_id_fkey` FOREIGN KEY (`message_id`) REFERENCES `conversation_message`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

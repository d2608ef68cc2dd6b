-- AlterTable
ALTER TABLE `vector_change` ADD COLUMN `message_id` INTEGER NULL;

-- CreateTable
CREATE TABLE `message_index` (
    `message_id` INTEGER NOT NULL,
    `entity_id` INTEGER NOT NULL,
    `text` MEDIUMTEXT NOT NULL,
    `embedding` LONGBLOB,
    `embedding_model` VARCHAR(255),
    `embedding_dim` INTEGER,

    INDEX `message_index_entity_id_idx`(`entity_id`),
    PRIMARY KEY (`message_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- AddForeignKey
ALTER TABLE `message_index` ADD CONSTRAINT `message_index_message_id_fkey` FOREIGN KEY (`message_id`) REFERENCES `conversation_message`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

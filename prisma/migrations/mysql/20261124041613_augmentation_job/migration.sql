-- CreateTable
CREATE TABLE `augmentation_job` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `conversation_id` INTEGER NOT NULL,
    `entity_id` INTEGER NOT NULL,
    `first_message_id` INTEGER NOT NULL,
    `last_message_id` INTEGER NOT NULL,
    `status` ENUM('PENDING', 'RUNNING', 'DONE', 'PARKED') NOT NULL DEFAULT 'PENDING',
    `attempts` INTEGER NOT NULL DEFAULT 0,
    `run_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `lease_owner` VARCHAR(255),
    `lease_until` DATETIME(3),
    `last_error` TEXT,
    `extractor` VARCHAR(255),
    `input_tokens` INTEGER NOT NULL DEFAULT 0,
    `output_tokens` INTEGER NOT NULL DEFAULT 0,
    `facts_found` INTEGER NOT NULL DEFAULT 0,
    `triples_found` INTEGER NOT NULL DEFAULT 0,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `started_at` DATETIME(3),
    `completed_at` DATETIME(3),

    INDEX `augmentation_job_status_run_at_idx`(`status`, `run_at`),
    INDEX `augmentation_job_conversation_id_idx`(`conversation_id`),
    INDEX `augmentation_job_entity_id_completed_at_idx`(`entity_id`, `completed_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- AddForeignKey
ALTER TABLE `augmentation_job` ADD CONSTRAINT `augmentation_job_conversation_id_fkey` FOREIGN KEY (`conversation_id`) REFERENCES `conversation`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

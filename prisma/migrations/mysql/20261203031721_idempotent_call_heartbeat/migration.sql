-- AlterTable
ALTER TABLE `augmentation_job` ADD COLUMN `heartbeat_until` DATETIME(3) NULL;

-- CreateTable
CREATE TABLE `idempotent_call` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `entity_id` INTEGER NOT NULL,
    `idempotency_key` VARCHAR(128) NOT NULL,
    `request_hash` CHAR(64) NOT NULL,
    `conversation_id` INTEGER NOT NULL,
    `first_message_id` INTEGER NOT NULL,
    `last_message_id` INTEGER NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `idempotent_call_conversation_id_idx`(`conversation_id`),
    UNIQUE INDEX `idempotent_call_entity_id_idempotency_key_key`(`entity_id`, `idempotency_key`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- AddForeignKey
ALTER TABLE `idempotent_call` ADD CONSTRAINT `idempotent_call_entity_id_fkey` FOREIGN KEY (`entity_id`) REFERENCES `entity`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `idempotent_call` ADD CONSTRAINT `idempotent_call_conversation_id_fkey` FOREIGN KEY (`conversation_id`) REFERENCES `conversation`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

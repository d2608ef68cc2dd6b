-- CreateTable
CREATE TABLE `audit_entry` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `actor_kind` ENUM('KEY', 'ENTITY', 'SYSTEM') NOT NULL,
    `actor` VARCHAR(255) NOT NULL,
    `action` VARCHAR(64) NOT NULL,
    `entity_external_id` VARCHAR(255) NULL,
    `target` MEDIUMTEXT NULL,
    `address` VARCHAR(64) NULL,

    INDEX `audit_entry_entity_external_id_id_idx`(`entity_external_id`, `id`),
    INDEX `audit_entry_actor_id_idx`(`actor`, `id`),
    INDEX `audit_entry_action_id_idx`(`action`, `id`),
    INDEX `audit_entry_at_idx`(`at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `graph_change` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `entity_id` INTEGER NOT NULL,
    `triple_id` INTEGER,
    `erased_entity` VARCHAR(255),
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `graph_change_entity_id_idx`(`entity_id`),
    INDEX `graph_change_created_at_idx`(`created_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `graph_mirror` (
    `id` VARCHAR(64) NOT NULL,
    `position` INTEGER NOT NULL DEFAULT 0,
    `owner` VARCHAR(255),
    `lease_until` DATETIME(3),
    `applied_at` DATETIME(3),
    `last_error` TEXT,
    `updated_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `tombstone` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `entity_id` INTEGER NOT NULL,
    `kind` VARCHAR(16) NOT NULL,
    `content_hash` CHAR(64) NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `tombstone_entity_id_kind_content_hash_key`(`entity_id`, `kind`, `content_hash`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- AddForeignKey
ALTER TABLE `tombstone` ADD CONSTRAINT `tombstone_entity_id_fkey` FOREIGN KEY (`entity_id`) REFERENCES `entity`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

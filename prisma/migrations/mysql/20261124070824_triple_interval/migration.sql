-- CreateTable
CREATE TABLE `triple_interval` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `triple_id` INTEGER NOT NULL,
    `valid_from` DATETIME(3) NOT NULL,
    `valid_to` DATETIME(3) NOT NULL,

    INDEX `triple_interval_triple_id_idx`(`triple_id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- AddForeignKey
ALTER TABLE `triple_interval` ADD CONSTRAINT `triple_interval_triple_id_fkey` FOREIGN KEY (`triple_id`) REFERENCES `knowledge_graph`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

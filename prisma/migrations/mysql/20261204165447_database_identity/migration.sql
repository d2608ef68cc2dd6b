-- CreateTable
CREATE TABLE `engram_meta` (
    `key` VARCHAR(64) NOT NULL,
    `value` VARCHAR(255) NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    PRIMARY KEY (`key`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- This database's name: 32 hex digits of a UUID, unique to it, written once.
INSERT INTO `engram_meta` (`key`, `value`) VALUES ('database_id', REPLACE(UUID(), '-', ''));

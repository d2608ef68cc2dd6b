-- CreateTable
CREATE TABLE `graph_degree` (
    `entity_id` INTEGER NOT NULL,
    `name` VARCHAR(512) NOT NULL,
    `degree` INTEGER NOT NULL,
    `out_degree` INTEGER NOT NULL,

    INDEX `graph_degree_entity_id_degree_idx`(`entity_id`, `degree`),
    PRIMARY KEY (`entity_id`,`name`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- AddForeignKey
ALTER TABLE `graph_degree` ADD CONSTRAINT `graph_degree_entity_id_fkey` FOREIGN KEY (`entity_id`) REFERENCES `entity`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: every entity's current degrees, counted once from its triples.
INSERT INTO `graph_degree` (`entity_id`, `name`, `degree`, `out_degree`)
SELECT `d`.`entity_id`, `d`.`name`, SUM(`d`.`n`), SUM(`d`.`o`) FROM (
    SELECT `kg`.`entity_id` AS `entity_id`, `s`.`name` AS `name`, COUNT(*) AS `n`, COUNT(*) AS `o`
    FROM `knowledge_graph` `kg` JOIN `subject` `s` ON `s`.`id` = `kg`.`subject_id`
    WHERE `kg`.`valid_to` IS NULL GROUP BY `kg`.`entity_id`, `s`.`name`
    UNION ALL
    SELECT `kg`.`entity_id`, `o`.`name`, COUNT(*), 0
    FROM `knowledge_graph` `kg` JOIN `object` `o` ON `o`.`id` = `kg`.`object_id`
    WHERE `kg`.`valid_to` IS NULL GROUP BY `kg`.`entity_id`, `o`.`name`
) `d` GROUP BY `d`.`entity_id`, `d`.`name`;

-- AlterTable
ALTER TABLE `message_index` ADD COLUMN `previous_id` INTEGER NULL;

-- Backfill: the turn before each message already indexed, in its conversation.
UPDATE `message_index` SET `previous_id` = (
    SELECT MAX(`p`.`id`) FROM `conversation_message` `p`
    JOIN `conversation_message` `m` ON `m`.`conversation_id` = `p`.`conversation_id`
    WHERE `m`.`id` = `message_index`.`message_id` AND `p`.`id` < `m`.`id`
);

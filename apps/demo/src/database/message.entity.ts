import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A message posted in a chat. */
@Entity('messages')
@Index(['chatId', 'id'])
export class MessageEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  chatId!: number;

  @Column()
  authorId!: number;

  @Column({ type: 'text' })
  text!: string;

  @CreateDateColumn()
  createdAt!: Date;

  @Column({ nullable: true, type: Date })
  editedAt!: Date | null;
}

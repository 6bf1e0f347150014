import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A chat room. */
@Entity('chats')
export class ChatEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 100 })
  title!: string;

  @Column()
  createdBy!: number;

  @CreateDateColumn()
  createdAt!: Date;
}

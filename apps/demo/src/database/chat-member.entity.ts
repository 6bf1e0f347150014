import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A user's membership of a chat. */
@Entity('chat_members')
export class ChatMemberEntity {
  @PrimaryColumn()
  chatId!: number;

  @Index()
  @PrimaryColumn()
  userId!: number;

  @Column({ type: 'varchar', length: 16, default: 'member' })
  role!: 'owner' | 'member';

  @CreateDateColumn()
  joinedAt!: Date;
}

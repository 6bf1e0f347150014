import { Body, Controller, Delete, Get, NotFoundException, Param, Put } from '@nestjs/common';
import { InjectCache, NamespaceCache } from '@app/cache';

/** A note, kept only in the cache and its durable store. */
export interface Note {
  text: string;
  savedAt: Date;
}

@Controller('notes')
export class NotesController {
  constructor(@InjectCache('notes') private readonly notes: NamespaceCache<Note>) {}

  @Put(':id')
  async save(@Param('id') id: string, @Body() body: { text: string }): Promise<Note> {
    const note = { text: String(body.text ?? ''), savedAt: new Date() };
    await this.notes.set(id, note);
    return note;
  }

  @Get(':id')
  async find(@Param('id') id: string): Promise<Note> {
    const note = await this.notes.get(id);
    if (!note) throw new NotFoundException(`no note "${id}"`);
    return note;
  }

  @Delete(':id')
  async remove(@Param('id') id: string): Promise<{ deleted: boolean }> {
    return { deleted: await this.notes.delete(id) };
  }
}

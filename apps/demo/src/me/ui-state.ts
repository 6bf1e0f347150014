import { BadRequestException } from '@nestjs/common';

/** What the client wants back after a reload: short-lived and never persisted. */
export interface UiState {
  theme: 'light' | 'dark';
  openChatId: number | null;
  draft: string;
}

/** The state of a user who saved none. */
export const DEFAULT_UI_STATE: UiState = { theme: 'light', openChatId: null, draft: '' };

/** The fields of a patch, each checked; unknown fields are a 400. */
export function uiStatePatch(body: Record<string, unknown>): Partial<UiState> {
  const patch: Partial<UiState> = {};
  for (const [field, value] of Object.entries(body ?? {})) {
    if (field === 'theme' && (value === 'light' || value === 'dark')) patch.theme = value;
    else if (field === 'openChatId' && (value === null || Number.isInteger(value)))
      patch.openChatId = value as number | null;
    else if (field === 'draft' && typeof value === 'string' && value.length <= 4000)
      patch.draft = value;
    else throw new BadRequestException(`${field}: not a valid UI state field or value`);
  }
  return patch;
}

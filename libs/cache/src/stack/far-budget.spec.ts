import { FarBudget } from './far-budget';

describe('FarBudget', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('gives each call what earlier calls left, not time spent between calls', () => {
    const budget = new FarBudget(500);
    expect(budget.open()).toBe(1_000_500);
    jest.advanceTimersByTime(300);
    budget.close();
    // A loader runs meanwhile: not counted.
    jest.advanceTimersByTime(10_000);
    expect(budget.open()).toBe(Date.now() + 200);
    jest.advanceTimersByTime(200);
    budget.close();
    expect(budget.open()).toBe(Date.now());
  });

  it('counts calls side by side once, as the span any is in flight', () => {
    const budget = new FarBudget(500);
    budget.open();
    jest.advanceTimersByTime(100);
    expect(budget.open()).toBe(Date.now() + 400);
    jest.advanceTimersByTime(100);
    budget.close();
    budget.close();
    expect(budget.open()).toBe(Date.now() + 300);
  });
});

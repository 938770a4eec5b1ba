// A readers-writer lock for statements: inserts share, DDL is exclusive, so a table cannot
// be dropped or altered between an insert's validation and its write.
export class RwLock {
  private readers = 0;
  private writer = false;
  private readonly waiting: Array<{ exclusive: boolean; wake: () => void }> = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(false);
    try {
      return await fn();
    } finally {
      this.readers--;
      this.pump();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(true);
    try {
      return await fn();
    } finally {
      this.writer = false;
      this.pump();
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    // First come, first served: a waiting writer blocks later readers so it cannot starve.
    if (this.waiting.length === 0 && this.grant(exclusive)) return Promise.resolve();
    return new Promise((wake) => this.waiting.push({ exclusive, wake }));
  }

  private grant(exclusive: boolean): boolean {
    if (this.writer) return false;
    if (exclusive) {
      if (this.readers > 0) return false;
      this.writer = true;
      return true;
    }
    this.readers++;
    return true;
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.grant(this.waiting[0]!.exclusive)) this.waiting.shift()!.wake();
  }
}

/**
 * Keeps the process alive exactly while the engine has something that will still happen (a run, a
 * queued task, a listener waiting): quick-app code under Node exits by itself once its downloads are
 * answered, and not before. The engine calls `update` whenever any of that changes.
 */
export class KeepAlive {
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly busy: () => boolean) {}

  update(): void {
    const busy = this.busy();
    if (busy && !this.#timer) this.#timer = setInterval(() => {}, 1 << 30);
    else if (!busy && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

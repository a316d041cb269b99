import { useI18n } from 'vue-i18n';
import type { ArgumentProblem } from '../../src-shared/validate.js';

/**
 * A field error from the shared argument schemas (src-shared/validate.ts), in the window's language:
 * the rule's own sentence when the message tables have one, else the schema's English message.
 */
export function useProblemText(): (problem: ArgumentProblem | undefined) => string | undefined {
  const { t, te } = useI18n();
  return (problem) => {
    if (!problem) return undefined;
    const key = problem.rule ? `rules.${problem.rule}` : undefined;
    return key && te(key) ? t(key) : problem.message;
  };
}

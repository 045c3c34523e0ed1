import { project } from '../vitest.shared.ts';

export default project('security', { include: ['**/*.test.ts'], testTimeout: 60_000 });

import { LocalDriver } from '../src/local-driver.ts';
import { driverContract } from './contract/driver-contract.ts';
import { tempDir } from './helpers/temp-dir.ts';

driverContract(
  'local',
  async () => {
    const dir = tempDir();
    const driver = LocalDriver.open({ path: dir.file('contract.db') });
    return {
      driver,
      [Symbol.asyncDispose]: async () => {
        await driver.close();
        dir[Symbol.dispose]();
      },
    };
  },
  { rowLevelCapture: true },
);

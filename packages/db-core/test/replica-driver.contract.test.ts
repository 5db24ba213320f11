import { startSqld } from '@liveframe/native/testing';
import { ReplicaDriver } from '../src/replica/replica-driver.ts';
import { driverContract } from './contract/driver-contract.ts';
import { tempDir } from './replica-fixtures.ts';

// The shared driver contract against a replica of a real sqld primary, with the change log
// installed first (triggers then follow the contract's own CREATE TABLE automatically).
driverContract(
  'replica',
  async () => {
    const sqld = await startSqld();
    const dir = tempDir();
    const cleanup = async () => {
      await sqld[Symbol.asyncDispose]();
      dir[Symbol.dispose]();
    };
    let driver: ReplicaDriver;
    try {
      driver = await ReplicaDriver.open({
        path: `${dir.path}/contract.db`,
        syncUrl: sqld.url,
        cursorHeartbeatMs: 0,
      });
      await driver.installChangeLog().catch(async (error: unknown) => {
        await driver.close();
        throw error;
      });
    } catch (error) {
      await cleanup();
      throw error;
    }
    return {
      driver,
      [Symbol.asyncDispose]: async () => {
        await driver.close();
        await cleanup();
      },
    };
  },
  { rowLevelCapture: true },
);

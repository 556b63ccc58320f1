import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exampleEvent } from '@tidings/contracts';
import { NOTICE_SENTENCES, TEST_EVENT_MESSAGE, type NoticeType } from './webhook-notices';

describe('the event catalogue', () => {
  it('shows each webhook notice and the test event with the sentence they are sent with', () => {
    for (const type of Object.keys(NOTICE_SENTENCES) as NoticeType[]) {
      const example = exampleEvent(type);
      assert.equal(NOTICE_SENTENCES[type](example.data.endpointId!, example.data.actor!), example.message, type);
    }
    assert.equal(exampleEvent('test').message, TEST_EVENT_MESSAGE);
  });
});

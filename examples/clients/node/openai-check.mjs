// The official OpenAI Node client against ./modernbert serve. Usage:
//   node openai-check.mjs BASE_URL API_KEY PROMPT EXPECTED_GREEDY_TEXT MAX_TOKENS
// EXPECTED_GREEDY_TEXT is what `./modernbert generate --greedy --max-new-tokens MAX_TOKENS PROMPT` prints.
// Exits 0 when every check passed, 1 with the failed check otherwise.
import OpenAI from 'openai';

const [baseURL, apiKey, prompt, expected, maxTokensArg] = process.argv.slice(2);
const maxTokens = Number(maxTokensArg);
const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey, maxRetries: 0 });
const failures = [];
const check = (name, ok, detail) => {
  console.log(`${ok ? 'ok' : 'FAILED'}: ${name}${ok ? '' : ` (${detail})`}`);
  if (!ok) failures.push(name);
};

const models = await client.models.list();
const model = models.data[0].id;
check('models.list names the served model', models.data.length === 1 && typeof model === 'string', JSON.stringify(models.data));

const greedy = await client.completions.create({ model, prompt, max_tokens: maxTokens, temperature: 0 });
check('greedy completion equals ./modernbert generate --greedy', greedy.choices[0].text === expected,
  `${JSON.stringify(greedy.choices[0].text)} vs ${JSON.stringify(expected)}`);
check('usage counts tokens', greedy.usage.completion_tokens > 0 && greedy.usage.total_tokens === greedy.usage.prompt_tokens + greedy.usage.completion_tokens,
  JSON.stringify(greedy.usage));

const stream = await client.completions.create({ model, prompt, max_tokens: maxTokens, temperature: 0, stream: true });
let streamed = '';
let finish = null;
for await (const chunk of stream) {
  for (const c of chunk.choices) {
    streamed += c.text;
    finish = c.finish_reason ?? finish;
  }
}
check('streamed greedy completion equals the non-streamed one', streamed === expected, `${JSON.stringify(streamed)} vs ${JSON.stringify(expected)}`);
check('the stream ends with a finish_reason', finish === 'stop' || finish === 'length', String(finish));

const seeded = () => client.completions.create({ model, prompt, max_tokens: 12, temperature: 0.9, seed: 1234, n: 2 });
const [a, b] = [await seeded(), await seeded()];
check('seeded sampling with n=2 gives two choices, the same each time', a.choices.length === 2
  && a.choices.map((c) => c.text).join('|') === b.choices.map((c) => c.text).join('|'), JSON.stringify([a.choices, b.choices]));

const expectError = async (name, status, call) => {
  try {
    await call();
    check(name, false, 'no error');
  } catch (e) {
    check(name, e instanceof OpenAI.APIError && e.status === status && typeof e.message === 'string', `${e.status} ${e.message}`);
  }
};
await expectError('an unknown model is a 404 NotFoundError', 404,
  () => client.completions.create({ model: 'no-such-model', prompt, max_tokens: 4 }));
await expectError('a bad field is a 400 BadRequestError', 400,
  () => client.completions.create({ model, prompt, max_tokens: -3 }));
const stranger = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'wrong-key', maxRetries: 0 });
await expectError('a wrong API key is a 401 AuthenticationError', 401,
  () => stranger.completions.create({ model, prompt, max_tokens: 4 }));

console.log(failures.length === 0 ? 'openai client: all checks passed' : `openai client: ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);

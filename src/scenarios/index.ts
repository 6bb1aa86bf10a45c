// `techtrail/scenarios`: scenario packs, the generator of CloudTrail corpora with an answer key, and its sinks.
export * from "./answer-key.js";
export { type DetectionReport, detectionTable, evaluateDetection, type ScenarioResult } from "./evaluate.js";
export {
  type BenchCorpusOptions,
  batchOf,
  batchRecords,
  type CorpusSink,
  DEFAULT_START,
  GenerateOptions,
  type GenerateResult,
  type GenerateRun,
  generateScenarios,
  type PeriodBatch,
  writeBenchCorpus,
  writeScenarioCorpus,
  writeScenarioStream,
} from "./generate.js";
export {
  BUILTIN_SCENARIO_DIR,
  loadScenarioPacks,
  parseScenarioPack,
  ScenarioPack,
  scenarioFiles,
  selectScenarioPacks,
} from "./pack.js";
export { CountingSink, JsonLinesSink, S3TreeSink, StreamSink, TeeSink } from "./sinks.js";

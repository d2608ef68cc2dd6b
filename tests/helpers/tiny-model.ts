import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';

/**
 * A tiny random-weight BERT written as real ONNX, so the local embedder is tested through the same
 * path as all-MiniLM-L6-v2 (transformers.js AutoTokenizer + AutoModel + onnxruntime) without any
 * download: no npm package ships MiniLM weights and the hub is unreachable here. The vectors mean
 * nothing; what matters is that the files, shapes, masks and quantization look like the real export.
 */

const { onnx } = onnxProto;
type Tensor = onnxProto.onnx.ITensorProto;
type Node = onnxProto.onnx.INodeProto;

export interface TinyBertOptions {
  /**
   * Folder name under the model path, as a hub model id.
   * @default 'engram-tests/tiny-bert'
   */
  modelId?: string;
  /**
   * Hidden size, so also the embedding dimension.
   * @default 32
   */
  hidden?: number;
  /**
   * PRNG seed; the same seed writes byte-identical files.
   * @default 1
   */
  seed?: number;
}

export interface TinyBertModel {
  /** Pass as the embedder's `modelPath`. */
  modelPath: string;
  /** Pass as the embedder's `modelId`; the files are in `<modelPath>/<modelId>/`. */
  modelId: string;
  hidden: number;
}

/** Short enough that the tests can check truncation with an ordinary long text. */
const MAX_POSITIONS = 64;
const TYPE_VOCAB = 2;

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = `the of and to a in is it you that he was for on are with as i his they be at one have this
from or had by not word but what some we can out other were all there when up use your how said an each
she which do their time if will way about many then them write would like so these her long make thing
see him two has look more day could go come did number sound no most people my over know water than call
first who may down side been now find any new work part take get place made live where after back little
only round man year came show every good me give our under name very through just form sentence great
think say help low line differ turn cause much mean before move right boy old too same tell does set three
want air well also play small end put home read hand port large spell add even land here must big high
such follow act why ask men change went light kind off need house picture try us again animal point mother
world near build self earth father user likes coffee tea prefers lives works memory remember assistant
engram paris london berlin python typescript database vector search graph fact`.split(/\s+/);
const PUNCTUATION = [...'.,!?\'"-:;()'];
const DIGITS = [...'0123456789'];
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];
const SUFFIXES = ['s', 'es', 'ed', 'ing', 'ly', 'er', 'est', 'tion', 'ment', 'ness', 'able', 'ful', 'less'];

/** The WordPiece vocabulary: every lowercase ASCII word tokenizes, common ones in one piece. */
function vocabulary(): string[] {
  const tokens = [
    ...SPECIAL,
    ...PUNCTUATION,
    ...DIGITS,
    ...LETTERS,
    ...LETTERS.map((letter) => `##${letter}`),
    ...DIGITS.map((digit) => `##${digit}`),
    ...SUFFIXES.map((suffix) => `##${suffix}`),
    ...WORDS,
  ];
  return [...new Set(tokens)];
}

/** mulberry32 with Box–Muller: small, seedable, and the same on every platform. */
function gaussian(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

function floats(name: string, dims: number[], values: Float32Array): Tensor {
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  };
}

function int64s(name: string, dims: number[], values: number[]): Tensor {
  const data = BigInt64Array.from(values.map(BigInt));
  return { name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) };
}

function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: onnxProto.onnx.IAttributeProto[] = [],
) {
  return { opType, input: inputs, output: outputs, name: outputs[0], attribute: attributes } satisfies Node;
}

const intAttribute = (name: string, i: number) => ({ name, i, type: onnx.AttributeProto.AttributeType.INT });
const floatAttribute = (name: string, f: number) => ({
  name,
  f,
  type: onnx.AttributeProto.AttributeType.FLOAT,
});
const intsAttribute = (name: string, ints: number[]) => ({
  name,
  ints,
  type: onnx.AttributeProto.AttributeType.INTS,
});

/** A named float weight, kept as fp32 and, when `quantize` is set, also as int8 for the quantized file. */
interface Weight {
  name: string;
  dims: number[];
  values: Float32Array;
  /** Axis of the per-channel scales (dense layers: the output axis), or null for one scale per tensor. */
  quantize?: { axis: number | null };
}

/**
 * Symmetric int8 weight-only quantization, as `quantize_dynamic(..., weight_type=QInt8)` style exports
 * store it: int8 values, float scales, zero points of 0, and a DequantizeLinear in front of each use.
 */
function quantized(weight: Weight, axis: number | null): { tensors: Tensor[]; dequantize: Node } {
  const { name, dims, values } = weight;
  const channels = axis === null ? 1 : (dims[axis] as number);
  const stride = axis === null ? 1 : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (index: number) => (axis === null ? 0 : Math.floor(index / stride) % channels);
  const maxima = new Float32Array(channels);
  values.forEach((value, index) => {
    const channel = channelOf(index);
    maxima[channel] = Math.max(maxima[channel] as number, Math.abs(value));
  });
  const scales = maxima.map((maximum) => (maximum > 0 ? maximum / 127 : 1));
  const ints = new Int8Array(values.length);
  values.forEach((value, index) => {
    ints[index] = Math.max(-127, Math.min(127, Math.round(value / (scales[channelOf(index)] as number))));
  });
  const scaleDims = axis === null ? [] : [channels];
  const tensors: Tensor[] = [
    {
      name: `${name}_quantized`,
      dims,
      dataType: onnx.TensorProto.DataType.INT8,
      rawData: new Uint8Array(ints.buffer),
    },
    floats(`${name}_scale`, scaleDims, scales),
    {
      name: `${name}_zero_point`,
      dims: scaleDims,
      dataType: onnx.TensorProto.DataType.INT8,
      rawData: new Uint8Array(channels),
    },
  ];
  const attributes = axis === null ? [] : [intAttribute('axis', axis)];
  const dequantize = node(
    'DequantizeLinear',
    [`${name}_quantized`, `${name}_scale`, `${name}_zero_point`],
    [name],
    attributes,
  );
  return { tensors, dequantize };
}

function tensorType(elemType: number, shape: (string | number)[]): onnxProto.onnx.ITypeProto {
  return {
    tensorType: {
      elemType,
      shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  };
}

/** One encoder layer (single-head self-attention + GELU feed-forward), like BERT's, at toy size. */
function buildGraph(hidden: number, vocabSize: number, seed: number, quantize: boolean): Uint8Array {
  const random = gaussian(seed);
  const intermediate = hidden * 2;
  const weights: Weight[] = [];
  // `axis` undefined keeps the tensor fp32 in the quantized file too (small tables, like real exports).
  const matrix = (name: string, dims: number[], std: number, axis?: number | null) => {
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => random() * std);
    weights.push({ name, dims, values, ...(axis === undefined ? {} : { quantize: { axis } }) });
  };
  const vector = (name: string, size: number, mean: number, std: number) => {
    weights.push({ name, dims: [size], values: new Float32Array(size).map(() => mean + random() * std) });
  };
  matrix('word_embeddings', [vocabSize, hidden], 1, null);
  matrix('position_embeddings', [MAX_POSITIONS, hidden], 0.3, null);
  matrix('token_type_embeddings', [TYPE_VOCAB, hidden], 0.1);
  for (const ln of ['embeddings_ln', 'attention_ln', 'output_ln']) {
    vector(`${ln}_gamma`, hidden, 1, 0.1);
    vector(`${ln}_beta`, hidden, 0, 0.1);
  }
  const dense = 1 / Math.sqrt(hidden);
  for (const projection of ['query', 'key', 'value', 'attention_out']) {
    matrix(`${projection}_weight`, [hidden, hidden], dense, 1);
    vector(`${projection}_bias`, hidden, 0, 0.02);
  }
  matrix('intermediate_weight', [hidden, intermediate], dense, 1);
  vector('intermediate_bias', intermediate, 0, 0.02);
  matrix('output_weight', [intermediate, hidden], 1 / Math.sqrt(intermediate), 1);
  vector('output_bias', hidden, 0, 0.02);

  const initializers: Tensor[] = [
    int64s('zero', [], [0]),
    int64s('one', [], [1]),
    int64s('axis_one', [1], [1]),
    floats('one_f', [], Float32Array.of(1)),
    floats('half_f', [], Float32Array.of(0.5)),
    floats('sqrt2_f', [], Float32Array.of(Math.SQRT2)),
    floats('mask_bias_f', [], Float32Array.of(-10000)),
    floats('attention_scale_f', [], Float32Array.of(1 / Math.sqrt(hidden))),
  ];
  const nodes: Node[] = [];
  for (const weight of weights) {
    if (quantize && weight.quantize) {
      const { tensors, dequantize } = quantized(weight, weight.quantize.axis);
      initializers.push(...tensors);
      nodes.push(dequantize);
    } else {
      initializers.push(floats(weight.name, weight.dims, weight.values));
    }
  }

  const layerNorm = (input: string, prefix: string, output: string) =>
    node(
      'LayerNormalization',
      [input, `${prefix}_gamma`, `${prefix}_beta`],
      [output],
      [intAttribute('axis', -1), floatAttribute('epsilon', 1e-12)],
    );
  const linear = (input: string, prefix: string, output: string) => [
    node('MatMul', [input, `${prefix}_weight`], [`${output}_matmul`]),
    node('Add', [`${output}_matmul`, `${prefix}_bias`], [output]),
  ];
  nodes.push(
    // Embeddings: word + position + token type, then LayerNorm.
    node('Gather', ['word_embeddings', 'input_ids'], ['words'], [intAttribute('axis', 0)]),
    node('Gather', ['token_type_embeddings', 'token_type_ids'], ['types'], [intAttribute('axis', 0)]),
    node('Shape', ['input_ids'], ['input_shape']),
    node('Gather', ['input_shape', 'one'], ['sequence_length'], [intAttribute('axis', 0)]),
    node('Range', ['zero', 'sequence_length', 'one'], ['position_ids']),
    node('Gather', ['position_embeddings', 'position_ids'], ['positions'], [intAttribute('axis', 0)]),
    node('Add', ['words', 'types'], ['words_types']),
    node('Add', ['words_types', 'positions'], ['embeddings_sum']),
    layerNorm('embeddings_sum', 'embeddings_ln', 'embeddings'),
    // Self-attention; padding keys get -10000 so a padded batch matches one text at a time.
    ...linear('embeddings', 'query', 'q'),
    ...linear('embeddings', 'key', 'k'),
    ...linear('embeddings', 'value', 'v'),
    node('Transpose', ['k'], ['k_t'], [intsAttribute('perm', [0, 2, 1])]),
    node('MatMul', ['q', 'k_t'], ['scores_raw']),
    node('Mul', ['scores_raw', 'attention_scale_f'], ['scores_scaled']),
    node('Cast', ['attention_mask'], ['mask_f'], [intAttribute('to', onnx.TensorProto.DataType.FLOAT)]),
    node('Sub', ['one_f', 'mask_f'], ['mask_inverted']),
    node('Mul', ['mask_inverted', 'mask_bias_f'], ['mask_bias']),
    node('Unsqueeze', ['mask_bias', 'axis_one'], ['mask_bias_3d']),
    node('Add', ['scores_scaled', 'mask_bias_3d'], ['scores']),
    node('Softmax', ['scores'], ['probabilities'], [intAttribute('axis', -1)]),
    node('MatMul', ['probabilities', 'v'], ['context']),
    ...linear('context', 'attention_out', 'attention_out'),
    node('Add', ['embeddings', 'attention_out'], ['attention_residual']),
    layerNorm('attention_residual', 'attention_ln', 'attention'),
    // Feed-forward with exact (erf) GELU, as BERT's hidden_act "gelu".
    ...linear('attention', 'intermediate', 'intermediate'),
    node('Div', ['intermediate', 'sqrt2_f'], ['gelu_scaled']),
    node('Erf', ['gelu_scaled'], ['gelu_erf']),
    node('Add', ['gelu_erf', 'one_f'], ['gelu_erf_1']),
    node('Mul', ['intermediate', 'gelu_erf_1'], ['gelu_x']),
    node('Mul', ['gelu_x', 'half_f'], ['gelu']),
    ...linear('gelu', 'output', 'ffn_out'),
    node('Add', ['attention', 'ffn_out'], ['output_residual']),
    layerNorm('output_residual', 'output_ln', 'last_hidden_state'),
  );

  const int64 = onnx.TensorProto.DataType.INT64;
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: 'engram-tests',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'tiny_bert',
      node: nodes,
      initializer: initializers,
      input: ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => ({
        name,
        type: tensorType(int64, ['batch_size', 'sequence_length']),
      })),
      output: [
        {
          name: 'last_hidden_state',
          type: tensorType(onnx.TensorProto.DataType.FLOAT, ['batch_size', 'sequence_length', hidden]),
        },
      ],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

function tokenizerJson(vocab: string[]) {
  const ids = new Map(vocab.map((token, id) => [token, id]));
  const special = (token: string) => ({ id: token, ids: [ids.get(token)], tokens: [token] });
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: MAX_POSITIONS, strategy: 'LongestFirst', stride: 0 },
    padding: null,
    added_tokens: SPECIAL.map((content) => ({
      id: ids.get(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(ids),
    },
  };
}

/**
 * Writes `<dir>/<modelId>/` with config.json, tokenizer.json, tokenizer_config.json,
 * onnx/model.onnx (fp32) and onnx/model_quantized.onnx (int8 weights), the files transformers.js
 * loads for a BERT feature-extraction model. Returns what to pass to the local embedder.
 */
export async function writeTinyBertModel(dir: string, options: TinyBertOptions = {}): Promise<TinyBertModel> {
  const modelId = options.modelId ?? 'engram-tests/tiny-bert';
  const hidden = options.hidden ?? 32;
  const seed = options.seed ?? 1;
  const vocab = vocabulary();
  const folder = join(dir, modelId);
  await mkdir(join(folder, 'onnx'), { recursive: true });
  const config = {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: hidden,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    intermediate_size: hidden * 2,
    hidden_act: 'gelu',
    max_position_embeddings: MAX_POSITIONS,
    type_vocab_size: TYPE_VOCAB,
    vocab_size: vocab.length,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
  };
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: MAX_POSITIONS,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
    clean_up_tokenization_spaces: true,
    strip_accents: null,
    tokenize_chinese_chars: true,
  };
  await Promise.all([
    writeFile(join(folder, 'config.json'), JSON.stringify(config, null, 2)),
    writeFile(join(folder, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2)),
    writeFile(join(folder, 'tokenizer.json'), JSON.stringify(tokenizerJson(vocab))),
    writeFile(join(folder, 'onnx', 'model.onnx'), buildGraph(hidden, vocab.length, seed, false)),
    writeFile(join(folder, 'onnx', 'model_quantized.onnx'), buildGraph(hidden, vocab.length, seed, true)),
  ]);
  return { modelPath: dir, modelId, hidden };
}

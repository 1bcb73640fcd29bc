"""The light path: every module of the common model families, computed from config.json.

Families (by config.json ``model_type``): llama, mistral, qwen2, qwen3,
gemma, gemma2, phi, phi3, gpt2, t5, mt5 and bert, each with the head of every
task type transformers has a class for, named and shaped as transformers 5
builds them.  A field missing from config.json takes the default of
transformers' config class.  A field of the wrong type, or a setting that
changes the module tree in a way not modelled here (GPT-2 cross-attention,
Phi's qk_layernorm, BERT as a decoder), leaves the config to the meta path
(``meta_shapes``).  tests/architectures_test.py builds every family and
task from small configs on the meta device and compares module for module.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapter_guard.module_shapes import Architecture
from adapter_guard.module_shapes import CONTAINER
from adapter_guard.module_shapes import Dim
from adapter_guard.module_shapes import MAX_LAYERS
from adapter_guard.module_shapes import Module

OTHER = Module()  # a norm, a dropout, an activation, rotary embeddings: named, no shape compared
Modules = dict[str, Module]


class Unusable(ValueError):
    """A config.json field the light path cannot use."""


class Fields:
    """config.json values, read defensively, with the config class's defaults."""

    def __init__(self, data: dict[str, Any], defaults: dict[str, Any]) -> None:
        self.data = data
        self.defaults = defaults

    def value(self, key: str) -> Any:
        return self.data[key] if key in self.data else self.defaults.get(key)

    def int(self, key: str, when_null: int | None = None) -> int:
        value = self.value(key)
        if value is None and when_null is not None:
            return when_null
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 1 << 24:
            raise Unusable(key)
        return value

    def dim(self, key: str) -> Dim:
        return Dim(self.int(key), key)

    def flag(self, key: str) -> bool:
        return self.value(key) is True


def linear(inputs: Dim, outputs: Dim | None) -> Module:
    return Module('linear', inputs, outputs)


def embedding(count: Dim, width: Dim) -> Module:
    return Module('embedding', count, width)


def conv1d(inputs: Dim, outputs: Dim) -> Module:
    return Module('conv1d', inputs, outputs)


def product(name: str, *factors: tuple[str, int]) -> Dim:
    """A dimension that is a product of fields: 'num_key_value_heads × head_dim = 8 × 128'."""
    size = 1
    for _, value in factors:
        size *= value
    return Dim(size, f'{name} = {" × ".join(str(v) for _, v in factors)}')


def under(prefix: str, modules: Modules) -> Modules:
    return {f'{prefix}.{name}' if prefix else name: module for name, module in modules.items()}


def repeated(prefix: str, count: int, layer: Callable[[int], Modules]) -> Modules:
    """``prefix.0.*`` to ``prefix.{count-1}.*``."""
    if count > MAX_LAYERS:
        raise Unusable('number of layers')
    out: Modules = {}
    for index in range(count):
        out.update(under(f'{prefix}.{index}', layer(index)))
    return out


def with_containers(modules: Modules) -> Modules:
    """named_modules() also names every module that holds others ('model', 'model.layers.0')."""
    out = dict(modules)
    for name in modules:
        parts = name.split('.')
        for end in range(1, len(parts)):
            out.setdefault('.'.join(parts[:end]), CONTAINER)
    return out


# ------------------------------------------------------------------ decoders

# Defaults of transformers' config classes (5.x) for the fields used here.
_DECODER_DEFAULTS: dict[str, dict[str, Any]] = {
    'llama': dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                  num_attention_heads=32, num_key_value_heads=None, head_dim=None),
    'mistral': dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                    num_attention_heads=32, num_key_value_heads=8, head_dim=None),
    'qwen2': dict(vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32,
                  num_attention_heads=32, num_key_value_heads=32, head_dim=None),
    'qwen3': dict(vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32,
                  num_attention_heads=32, num_key_value_heads=32, head_dim=128),
    'gemma': dict(vocab_size=256000, hidden_size=3072, intermediate_size=24576, num_hidden_layers=28,
                  num_attention_heads=16, num_key_value_heads=16, head_dim=256),
    'gemma2': dict(vocab_size=256000, hidden_size=2304, intermediate_size=9216, num_hidden_layers=26,
                   num_attention_heads=8, num_key_value_heads=4, head_dim=256),
    'phi': dict(vocab_size=51200, hidden_size=2048, intermediate_size=8192, num_hidden_layers=24,
                num_attention_heads=32, num_key_value_heads=None, head_dim=None, qk_layernorm=False),
    'phi3': dict(vocab_size=32064, hidden_size=3072, intermediate_size=8192, num_hidden_layers=32,
                 num_attention_heads=32, num_key_value_heads=None, head_dim=None),
}


def _decoder(model_type: str, f: Fields) -> tuple[Modules, Dim, Dim]:
    """The backbone (XModel) of a Llama-style decoder; its hidden size and vocabulary."""
    hidden = f.dim('hidden_size')
    inner = f.dim('intermediate_size')
    vocab = f.dim('vocab_size')
    heads = f.int('num_attention_heads')
    head_dim = f.int('head_dim', when_null=hidden.size // heads)
    kv_heads = f.int('num_key_value_heads', when_null=heads)
    queries = product('num_attention_heads × head_dim', ('num_attention_heads', heads), ('head_dim', head_dim))
    keys = product('num_key_value_heads × head_dim', ('num_key_value_heads', kv_heads), ('head_dim', head_dim))

    def layer(index: int) -> Modules:
        if model_type == 'phi3':
            fused = product('(num_attention_heads + 2 × num_key_value_heads) × head_dim',
                            ('heads', heads + 2 * kv_heads), ('head_dim', head_dim))
            return {
                'self_attn.qkv_proj': linear(hidden, fused), 'self_attn.o_proj': linear(queries, hidden),
                'mlp.gate_up_proj': linear(hidden, product('2 × intermediate_size', ('', 2), ('', inner.size))),
                'mlp.down_proj': linear(inner, hidden), 'mlp.activation_fn': OTHER,
                'input_layernorm': OTHER, 'post_attention_layernorm': OTHER,
                'resid_attn_dropout': OTHER, 'resid_mlp_dropout': OTHER,
            }
        attention = {
            'self_attn.q_proj': linear(hidden, queries), 'self_attn.k_proj': linear(hidden, keys),
            'self_attn.v_proj': linear(hidden, keys),
        }
        if model_type == 'phi':
            return {
                **attention, 'self_attn.dense': linear(queries, hidden),
                'mlp.fc1': linear(hidden, inner), 'mlp.fc2': linear(inner, hidden), 'mlp.activation_fn': OTHER,
                'input_layernorm': OTHER, 'resid_dropout': OTHER,
            }
        modules = {
            **attention, 'self_attn.o_proj': linear(queries, hidden),
            'mlp.gate_proj': linear(hidden, inner), 'mlp.up_proj': linear(hidden, inner),
            'mlp.down_proj': linear(inner, hidden), 'mlp.act_fn': OTHER,
            'input_layernorm': OTHER, 'post_attention_layernorm': OTHER,
        }
        if model_type == 'qwen3':
            modules.update({'self_attn.q_norm': OTHER, 'self_attn.k_norm': OTHER})
        if model_type == 'gemma2':
            modules.update({'pre_feedforward_layernorm': OTHER, 'post_feedforward_layernorm': OTHER})
        return modules

    if model_type == 'phi' and f.flag('qk_layernorm'):
        raise Unusable('qk_layernorm')
    top = {'embed_tokens': embedding(vocab, hidden), 'rotary_emb': OTHER}
    top.update({'embed_dropout': OTHER, 'final_layernorm': OTHER} if model_type == 'phi' else {'norm': OTHER})
    return {**top, **repeated('layers', f.int('num_hidden_layers'), layer)}, hidden, vocab


# XForQuestionAnswering keeps its backbone under 'transformer' in most families, under 'model' in Mistral.
_QA_PREFIX = {'mistral': 'model'}
_START_AND_END = Dim(2, 'start and end logits')


def _decoder_heads(hidden: Dim, vocab: Dim, prefix: str, qa_prefix: str = 'transformer',
                   classifier: str = 'score') -> dict[str, tuple[str, Modules]]:
    """task type -> (prefix of the backbone, the head's modules); None outputs: the adapter's labels."""
    return {
        'CAUSAL_LM': (prefix, {'lm_head': linear(hidden, vocab)}),
        'SEQ_CLS': (prefix, {'score': linear(hidden, None)}),
        'TOKEN_CLS': (prefix, {'dropout': OTHER, classifier: linear(hidden, None)}),
        'QUESTION_ANS': (qa_prefix, {'qa_outputs': linear(hidden, _START_AND_END)}),
        'FEATURE_EXTRACTION': ('', {}),
    }


# ---------------------------------------------------------------------- GPT-2

_GPT2_DEFAULTS = dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12, n_inner=None)


def _gpt2(f: Fields) -> tuple[Modules, Dim, Dim]:
    if f.flag('add_cross_attention'):
        raise Unusable('add_cross_attention')
    width = f.dim('n_embd')
    inner = Dim(f.int('n_inner', when_null=4 * width.size), 'n_inner' if f.value('n_inner') else '4 × n_embd')
    vocab = f.dim('vocab_size')

    def block(index: int) -> Modules:
        return {
            'ln_1': OTHER, 'ln_2': OTHER,
            'attn.c_attn': conv1d(width, Dim(3 * width.size, '3 × n_embd')), 'attn.c_proj': conv1d(width, width),
            'attn.attn_dropout': OTHER, 'attn.resid_dropout': OTHER,
            'mlp.c_fc': conv1d(width, inner), 'mlp.c_proj': conv1d(inner, width),
            'mlp.act': OTHER, 'mlp.dropout': OTHER,
        }

    top = {'wte': embedding(vocab, width), 'wpe': embedding(f.dim('n_positions'), width), 'drop': OTHER, 'ln_f': OTHER}
    return {**top, **repeated('h', f.int('n_layer'), block)}, width, vocab


# ------------------------------------------------------------------------- T5

_T5_DEFAULTS = dict(vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_decoder_layers=None,
                    num_heads=8, relative_attention_num_buckets=32, feed_forward_proj='relu')
_MT5_DEFAULTS = dict(_T5_DEFAULTS, vocab_size=250112, d_ff=1024, num_layers=8, num_heads=6,
                     feed_forward_proj='gated-gelu')


def _t5(f: Fields, encoder_only: bool = False) -> tuple[Modules, Dim, Dim]:
    width = f.dim('d_model')
    heads = f.int('num_heads')
    inner = product('num_heads × d_kv', ('num_heads', heads), ('d_kv', f.int('d_kv')))
    feed = f.dim('d_ff')
    vocab = f.dim('vocab_size')
    projection = f.value('feed_forward_proj')
    if not isinstance(projection, str):
        raise Unusable('feed_forward_proj')
    gated = projection.startswith('gated-')
    buckets = f.dim('relative_attention_num_buckets')

    def attention(first: bool) -> Modules:
        modules = {'q': linear(width, inner), 'k': linear(width, inner), 'v': linear(width, inner),
                   'o': linear(inner, width)}
        if first:
            modules['relative_attention_bias'] = embedding(buckets, Dim(heads, 'num_heads'))
        return modules

    def feed_forward() -> Modules:
        wi = {'wi_0': linear(width, feed), 'wi_1': linear(width, feed)} if gated else {'wi': linear(width, feed)}
        return {**wi, 'wo': linear(feed, width), 'dropout': OTHER, 'act': OTHER}

    def block(decoder: bool) -> Callable[[int], Modules]:
        def modules(index: int) -> Modules:
            out = {**under('layer.0.SelfAttention', attention(index == 0)),
                   'layer.0.layer_norm': OTHER, 'layer.0.dropout': OTHER}
            last = 1
            if decoder:
                out.update({**under('layer.1.EncDecAttention', attention(False)),
                            'layer.1.layer_norm': OTHER, 'layer.1.dropout': OTHER})
                last = 2
            out.update({**under(f'layer.{last}.DenseReluDense', feed_forward()),
                        f'layer.{last}.layer_norm': OTHER, f'layer.{last}.dropout': OTHER})
            return out
        return modules

    def stack(name: str, count: int, decoder: bool) -> Modules:
        top = {'embed_tokens': embedding(vocab, width), 'final_layer_norm': OTHER, 'dropout': OTHER}
        return under(name, {**top, **repeated('block', count, block(decoder))})

    encoder_layers = f.int('num_layers')
    modules = {'shared': embedding(vocab, width), **stack('encoder', encoder_layers, False)}
    if not encoder_only:
        modules.update(stack('decoder', f.int('num_decoder_layers', when_null=encoder_layers), True))
    return modules, width, vocab


# ----------------------------------------------------------------------- BERT

_BERT_DEFAULTS = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                      intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2)


def _bert(f: Fields, pooler: bool) -> tuple[Modules, Dim, Dim]:
    if f.flag('is_decoder') or f.flag('add_cross_attention'):
        raise Unusable('is_decoder')
    hidden = f.dim('hidden_size')
    inner = f.dim('intermediate_size')
    vocab = f.dim('vocab_size')

    def layer(index: int) -> Modules:
        return {
            'attention.self.query': linear(hidden, hidden), 'attention.self.key': linear(hidden, hidden),
            'attention.self.value': linear(hidden, hidden), 'attention.self.dropout': OTHER,
            'attention.output.dense': linear(hidden, hidden), 'attention.output.LayerNorm': OTHER,
            'attention.output.dropout': OTHER,
            'intermediate.dense': linear(hidden, inner), 'intermediate.intermediate_act_fn': OTHER,
            'output.dense': linear(inner, hidden), 'output.LayerNorm': OTHER, 'output.dropout': OTHER,
        }

    modules = {
        'embeddings.word_embeddings': embedding(vocab, hidden),
        'embeddings.position_embeddings': embedding(f.dim('max_position_embeddings'), hidden),
        'embeddings.token_type_embeddings': embedding(f.dim('type_vocab_size'), hidden),
        'embeddings.LayerNorm': OTHER, 'embeddings.dropout': OTHER,
        **repeated('encoder.layer', f.int('num_hidden_layers'), layer),
    }
    if pooler:
        modules.update({'pooler.dense': linear(hidden, hidden), 'pooler.activation': OTHER})
    return modules, hidden, vocab


# ------------------------------------------------------------------- families

# model_type -> {task type: transformers class}, as transformers' auto mappings name them.
CLASSES: dict[str, dict[str, str]] = {
    **{
        model_type: {
            'CAUSAL_LM': f'{name}ForCausalLM', 'SEQ_CLS': f'{name}ForSequenceClassification',
            'TOKEN_CLS': f'{name}ForTokenClassification', 'FEATURE_EXTRACTION': f'{name}Model',
            **({'QUESTION_ANS': f'{name}ForQuestionAnswering'} if qa else {}),
        }
        for model_type, name, qa in (
            ('llama', 'Llama', True), ('mistral', 'Mistral', True), ('qwen2', 'Qwen2', True),
            ('qwen3', 'Qwen3', True), ('gemma', 'Gemma', False), ('gemma2', 'Gemma2', False),
            ('phi', 'Phi', False), ('phi3', 'Phi3', False),
        )
    },
    'gpt2': {'CAUSAL_LM': 'GPT2LMHeadModel', 'SEQ_CLS': 'GPT2ForSequenceClassification',
             'TOKEN_CLS': 'GPT2ForTokenClassification', 'QUESTION_ANS': 'GPT2ForQuestionAnswering',
             'FEATURE_EXTRACTION': 'GPT2Model'},
    **{
        model_type: {'SEQ_2_SEQ_LM': f'{name}ForConditionalGeneration', 'SEQ_CLS': f'{name}ForSequenceClassification',
                     'TOKEN_CLS': f'{name}ForTokenClassification', 'QUESTION_ANS': f'{name}ForQuestionAnswering',
                     'FEATURE_EXTRACTION': f'{name}Model'}
        for model_type, name in (('t5', 'T5'), ('mt5', 'MT5'))
    },
    'bert': {'CAUSAL_LM': 'BertLMHeadModel', 'SEQ_CLS': 'BertForSequenceClassification',
             'TOKEN_CLS': 'BertForTokenClassification', 'QUESTION_ANS': 'BertForQuestionAnswering',
             'FEATURE_EXTRACTION': 'BertModel'},
}


def tasks_of(config: dict[str, Any]) -> frozenset[str] | None:
    model_type = config.get('model_type')
    classes = CLASSES.get(model_type) if isinstance(model_type, str) else None
    return frozenset(classes) if classes is not None else None


def build(config: dict[str, Any], task_type: str | None) -> Architecture | None:
    """Every module of the model the adapter wraps, or None when the light path does not know it."""
    model_type = config.get('model_type')
    classes = CLASSES.get(model_type) if isinstance(model_type, str) else None
    if classes is None or not isinstance(model_type, str):
        return None
    task = task_type if task_type is not None and task_type in classes else _task_of_architecture(config, classes)
    if task is None:
        return None
    try:
        modules = _modules(model_type, task, config)
    except Unusable:
        return None
    if modules is None:
        return None
    return Architecture(model_type, classes[task], with_containers(modules), frozenset(classes))


def _task_of_architecture(config: dict[str, Any], classes: dict[str, str]) -> str | None:
    """No task_type: the class config.json names (the one the base model was saved as)."""
    names = config.get('architectures')
    if isinstance(names, list) and names and isinstance(names[0], str):
        for task, name in classes.items():
            if name == names[0]:
                return task
        return None
    return 'SEQ_2_SEQ_LM' if 'SEQ_2_SEQ_LM' in classes else 'CAUSAL_LM' if 'CAUSAL_LM' in classes else None


def _modules(model_type: str, task: str, config: dict[str, Any]) -> Modules | None:
    if model_type in _DECODER_DEFAULTS:
        backbone, hidden, vocab = _decoder(model_type, Fields(config, _DECODER_DEFAULTS[model_type]))
        heads = _decoder_heads(hidden, vocab, 'model', _QA_PREFIX.get(model_type, 'transformer'))
        prefix, head = heads[task]
        return {**under(prefix, backbone), **head}
    if model_type == 'gpt2':
        backbone, hidden, vocab = _gpt2(Fields(config, _GPT2_DEFAULTS))
        prefix, head = _decoder_heads(hidden, vocab, 'transformer', classifier='classifier')[task]
        return {**under(prefix, backbone), **head}
    if model_type in ('t5', 'mt5'):
        return _t5_model(task, Fields(config, _T5_DEFAULTS if model_type == 't5' else _MT5_DEFAULTS))
    if model_type == 'bert':
        return _bert_model(task, Fields(config, _BERT_DEFAULTS))
    return None


def _t5_model(task: str, f: Fields) -> Modules | None:
    if task == 'TOKEN_CLS':  # T5EncoderModel under 'transformer'
        backbone, width, _ = _t5(f, encoder_only=True)
        return {**under('transformer', backbone), 'dropout': OTHER, 'classifier': linear(width, None)}
    backbone, width, vocab = _t5(f)
    if task == 'SEQ_CLS':
        head = {'dense': linear(width, width), 'dropout': OTHER, 'out_proj': linear(width, None)}
        return {**under('transformer', backbone), **under('classification_head', head)}
    heads = {'SEQ_2_SEQ_LM': {'lm_head': linear(width, vocab)}, 'QUESTION_ANS': {'qa_outputs': linear(width, None)},
             'FEATURE_EXTRACTION': {}}
    return {**backbone, **heads[task]}


def _bert_model(task: str, f: Fields) -> Modules | None:
    if task == 'CAUSAL_LM':
        return None  # BertLMHeadModel needs is_decoder: the meta path
    backbone, hidden, _ = _bert(f, pooler=task in ('SEQ_CLS', 'FEATURE_EXTRACTION'))
    heads = {
        'SEQ_CLS': {'dropout': OTHER, 'classifier': linear(hidden, None)},
        'TOKEN_CLS': {'dropout': OTHER, 'classifier': linear(hidden, None)},
        'QUESTION_ANS': {'qa_outputs': linear(hidden, None)},
        'FEATURE_EXTRACTION': {},
    }
    prefix = '' if task == 'FEATURE_EXTRACTION' else 'bert'
    return {**under(prefix, backbone), **heads[task]}

"""What evalguard knows about PyTorch and the libraries around it (SPEC §1,
research/idioms.md): which calls build modules and in which mode, which architectures
contain BatchNorm, which names disable gradients, which names signal inference.

Everything here is data plus small predicates over qualified names; the interpreter
asks, this module answers.
"""
from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from evalguard.analysis.names import dotted

# ---------------------------------------------------------------------------------
# Gradient contexts

GRAD_OFF = {
    "torch.no_grad",
    "torch.inference_mode",
    "torch.autograd.no_grad",
    "torch.autograd.inference_mode",
    "torch.autograd.grad_mode.no_grad",
    "torch.autograd.grad_mode.inference_mode",
}
GRAD_ON = {"torch.enable_grad", "torch.autograd.enable_grad", "torch.autograd.grad_mode.enable_grad"}
GRAD_SET = {"torch.set_grad_enabled", "torch.autograd.set_grad_enabled", "torch.autograd.grad_mode.set_grad_enabled"}
#: names that raise when used as `with X:` without a call
GRAD_CONTEXT_CLASSES = GRAD_OFF | GRAD_ON | GRAD_SET

#: third-party decorators / context factories known to disable gradients (idioms 2.7)
THIRD_PARTY_GRAD_OFF_SUFFIXES = ("smart_inference_mode", "_no_grad_context", "torch_no_grad")

#: context managers known to leave both mode and gradients alone
NEUTRAL_CONTEXTS_PREFIXES = (
    "torch.autocast",
    "torch.cuda.amp",
    "torch.amp",
    "torch.cpu.amp",
    "torch.cuda.device",
    "torch.cuda.stream",
    "torch.profiler",
    "torch.autograd.profiler",
    "torch.backends",
    "torch.random.fork_rng",
    "contextlib.nullcontext",
    "contextlib.suppress",
    "contextlib.redirect_stdout",
    "tqdm",
    "warnings.catch_warnings",
    "open",
    "torch.device",
)

# ---------------------------------------------------------------------------------
# Mode-managing context managers (idioms 1.7)

EVAL_MODE_CONTEXTS = ("monai.networks.utils.eval_mode", "monai.networks.eval_mode")
TRAIN_MODE_CONTEXTS = ("monai.networks.utils.train_mode", "monai.networks.train_mode")

# ---------------------------------------------------------------------------------
# Modules from torch.nn

_NN_PREFIXES = ("torch.nn.", "torch.nn.modules.")
_BN_CLASSES = re.compile(r"^(BatchNorm[123]d|SyncBatchNorm|LazyBatchNorm[123]d)$")
_IN_CLASSES = re.compile(r"^(LazyInstanceNorm[123]d|InstanceNorm[123]d)$")
_DROPOUT_CLASSES = re.compile(r"^(Dropout|Dropout[123]d|AlphaDropout|FeatureAlphaDropout)$")
_RNN_CLASSES = re.compile(r"^(RNN|LSTM|GRU)$")
_TRANSFORMER_CLASSES = re.compile(r"^(Transformer|TransformerEncoder|TransformerDecoder|TransformerEncoderLayer|TransformerDecoderLayer)$")
_CONTAINERS = {"Sequential", "ModuleList", "ModuleDict"}
_LOSS = re.compile(r"Loss$")


_NN_NOT_MODULES = {"Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "Module"}
_NN_NOT_MODULE_PACKAGES = ("torch.nn.utils.", "torch.nn.init.", "torch.nn.functional.", "torch.nn.parameter.",
                           "torch.nn.attention.", "torch.nn.parallel.")


def nn_class(qualname: str) -> Optional[str]:
    """`BatchNorm2d` for `torch.nn.BatchNorm2d` (or `torch.nn.modules.batchnorm.BatchNorm2d`);
    None for what is not a module class (`nn.Parameter`, `nn.utils.*`, ...)."""
    if qualname.startswith(_NN_NOT_MODULE_PACKAGES):
        return None
    for prefix in _NN_PREFIXES:
        if qualname.startswith(prefix):
            last = qualname.rsplit(".", 1)[-1]
            if last[:1].isupper() and last not in _NN_NOT_MODULES:
                return last
    return None


def is_leaf_layer(cls: str) -> bool:
    """A torch.nn building block (not a container, not a loss): a class that assigns
    these to `self` attributes is itself a module."""
    return not is_container(cls) and not is_loss_class(cls)


def is_container(cls: str) -> bool:
    return cls in _CONTAINERS


def is_loss_class(cls: str) -> bool:
    return bool(_LOSS.search(cls))


def nn_traits(cls: str, kwargs: dict[str, object], positional: int) -> tuple[Optional[bool], Optional[bool]]:
    """(mode-sensitive?, contains BatchNorm?) for a torch.nn class built with these
    constant keyword arguments (values are None when not constant)."""
    if _BN_CLASSES.match(cls):
        if kwargs.get("track_running_stats") is False:
            return False, False
        return True, True
    if _IN_CLASSES.match(cls):
        return (kwargs.get("track_running_stats") is True), False
    if _DROPOUT_CLASSES.match(cls):
        p = kwargs.get("p", "default")
        return (p not in (0, 0.0)), False
    if _RNN_CLASSES.match(cls):
        if "dropout" not in kwargs:
            return (None if positional > 4 else False), False
        d = kwargs["dropout"]
        return (None if d is None else d not in (0, 0.0)), False
    if _TRANSFORMER_CLASSES.match(cls):
        d = kwargs.get("dropout", "default")
        return (d not in (0, 0.0)), False
    if cls == "MultiheadAttention":
        d = kwargs.get("dropout", 0.0)
        return (None if d is None else d not in (0, 0.0)), False
    if cls in _CONTAINERS:
        return None, None  # decided by the children
    return False, False  # Linear, Conv*, LayerNorm, GroupNorm, activations, ...


# ---------------------------------------------------------------------------------
# Architecture builders (idioms §9): torchvision, timm

_TV_PREFIXES = ("torchvision.models.",)
_TV_NO_BN = re.compile(r"^(alexnet|squeezenet1_[01]|vgg1[169]|vgg11|vgg13|vgg16|vgg19|convnext_\w+|swin_\w+|swin_v2_\w+|vit_\w+)$")
_TV_NON_BUILDERS = re.compile(r"^(get_model|get_weight|get_model_weights|list_models|get_model_builder)$")


def torchvision_builder(qualname: str) -> Optional[str]:
    """`resnet50` for `torchvision.models.resnet50` (or a sub-package builder)."""
    if not qualname.startswith(_TV_PREFIXES):
        return None
    parts = qualname[len("torchvision.models."):].split(".")
    if len(parts) > 2 or not all(p[:1].islower() for p in parts):
        return None  # `ResNet50_Weights.IMAGENET1K_V2.transforms()` is a preprocessing transform
    last = parts[-1]
    if not last[:1].islower() or _TV_NON_BUILDERS.match(last) or last in {"utils", "feature_extraction"}:
        return None
    return last


def torchvision_has_bn(name: str) -> bool:
    return not _TV_NO_BN.match(name)


_TIMM_BN = re.compile(
    r"^(resnet|resnext|seresnet|seresnext|wide_resnet|regnet|efficientnet|tf_efficientnet|mobilenet|densenet|"
    r"dla|dpn|ghostnet|hrnet|inception|xception|mnasnet|rexnet|repvgg|res2net|resnest|selecsls|skresnet|"
    r"tresnet|vgg|vovnet|cspdarknet|cspresnet|darknet|fbnet|hardcorenas|lcnet|nasnet|pnasnet|senet|legacy_|"
    r"levit|repvit|fastvit|efficientvit|efficientformer|mixnet|spnasnet|gernet|ecaresnet|convmixer|tinynet)"
)
_TIMM_NO_BN = re.compile(
    r"^(vit|deit|beit|eva|swin|convnext|cait|coat|convit|crossvit|davit|edgenext|focalnet|gcvit|hiera|"
    r"mvitv2|nest|pit|pvt|tnt|twins|xcit|nfnet|dm_nfnet|eca_nfnet|mambaout|mobilevit|poolformer|"
    r"metaformer|caformer|convformer|vitamin|samvit)"
)


def timm_has_bn(model_name: Optional[str]) -> Optional[bool]:
    if not model_name:
        return None
    name = model_name.split("/")[-1].lower()
    if _TIMM_BN.match(name):
        return True
    if _TIMM_NO_BN.match(name):
        return False
    return None


# ---------------------------------------------------------------------------------
# Loaders and constructors from other libraries (idioms §4)

_EVAL_LOADER_LIBS = ("transformers.", "diffusers.", "peft.", "sentence_transformers.", "flair.", "speechbrain.")
_NOT_MODULE_NAMES = re.compile(r"(Tokenizer|Processor|Config|FeatureExtractor|Scheduler|Pipeline|Dataset|Collator)", re.I)


def from_pretrained_mode(receiver_qualname: str) -> Optional[str]:
    """Mode of `X.from_pretrained(...)` / `X.from_config(...)`: "eval", "fresh", or None
    when X is not a model class we know (tokenizers, configs, ...)."""
    lib_ok = receiver_qualname.startswith(_EVAL_LOADER_LIBS)
    last = receiver_qualname.rsplit(".", 1)[-1]
    if not lib_ok or _NOT_MODULE_NAMES.search(last):
        return None
    return "eval"


def is_hf_model_class(qualname: str) -> bool:
    last = qualname.rsplit(".", 1)[-1]
    return qualname.startswith(("transformers.", "diffusers.")) and bool(
        re.search(r"(Model|For[A-Z]\w+|LMHead\w*|Transformer\dDModel|UNet\w*)$", last)
    ) and not _NOT_MODULE_NAMES.search(last)


#: library methods that put their model in eval mode and leave it there (idioms §3):
#: sentence-transformers' `encode`/`predict` start with `self.eval()`
_EVAL_LEAVING_METHODS = {
    "sentence_transformers.": {"encode", "encode_query", "encode_document", "encode_corpus", "predict", "rank"},
}


def leaves_eval_mode(ext_class: str, method: str) -> bool:
    """Does `obj.method(...)` on an object of library class `ext_class` leave it in eval?"""
    return any(ext_class.startswith(prefix) and method in methods
               for prefix, methods in _EVAL_LEAVING_METHODS.items())


#: methods of training-loop helpers that hand back the objects they are given, wrapped
#: (a wrapper shares the mode of what it wraps): `model, opt = accelerator.prepare(model, opt)`
_PASSTHROUGH_METHODS = {
    "accelerate.Accelerator": {"prepare", "prepare_model", "unwrap_model"},
    "accelerate.accelerator.Accelerator": {"prepare", "prepare_model", "unwrap_model"},
    "lightning.Fabric": {"setup", "setup_module"},
    "lightning.fabric.Fabric": {"setup", "setup_module"},
    "lightning_fabric.Fabric": {"setup", "setup_module"},
}


def passes_through(ext_class: str, method: str) -> bool:
    return method in _PASSTHROUGH_METHODS.get(ext_class, ())


#: calls that return a copy of the model put in eval mode (torch's dynamic quantization
#: deep-copies the model and calls `.eval()` on the copy)
EVAL_MODE_COPIES = {
    "torch.quantization.quantize_dynamic", "torch.ao.quantization.quantize_dynamic",
    "torch.ao.quantization.quantize.quantize_dynamic",
}

#: decorators of functions that a framework calls with autograd on: web routes
#: (`@app.post("/predict")`, `@router.get(...)`, `@bp.route(...)`) and CLI commands
_ENTRY_POINT_DECORATOR = re.compile(r"(^|\.)(route|get|post|put|patch|delete|websocket|api_route|command)$")


def is_entry_point(func: cst.FunctionDef) -> bool:
    for dec in func.decorators:
        expr = dec.decorator
        target = expr.func if isinstance(expr, cst.Call) else expr
        name = dotted(target) or ""
        if "." in name and _ENTRY_POINT_DECORATOR.search(name):
            return True
    return False


#: calls that run the model once to record it
TRACERS = {"torch.jit.trace", "torch.jit.trace_module"}

#: unpickles anything: a checkpoint dict, or a whole module (once its result is called)
PICKLE_LOADER = "torch.load"
#: loaders whose result has a mode unknown to static analysis
UNKNOWN_MODE_LOADERS = {
    PICKLE_LOADER,
    "torch.jit.load",
    "torch.jit.script",
    "torch.jit.trace",
    "torch.hub.load",
    "torch.export.load",
}

#: calls that return (a view of) their first argument: wrappers share the mode of what they wrap
#: wrappers that only accept modules (their argument is proved to be one)
MODULE_WRAPPERS = {
    "torch.nn.parallel.DistributedDataParallel",
    "torch.nn.parallel.distributed.DistributedDataParallel",
    "torch.nn.DataParallel",
    "torch.nn.parallel.DataParallel",
    "torch.distributed.fsdp.FullyShardedDataParallel",
}
WRAPPERS = {
    "torch.nn.parallel.DistributedDataParallel",
    "torch.nn.parallel.distributed.DistributedDataParallel",
    "torch.nn.DataParallel",
    "torch.nn.parallel.DataParallel",
    "torch.compile",
    "torch.nn.SyncBatchNorm.convert_sync_batchnorm",
    "torch.distributed.fsdp.FullyShardedDataParallel",
    "peft.get_peft_model",
}
WRAPPER_SUFFIXES = ("unwrap_model", "de_parallel", "convert_sync_batchnorm", "get_peft_model")
#: methods that return the receiver itself (fact 4: chains)
SELF_RETURNING_METHODS = {
    "to", "cuda", "cpu", "half", "float", "double", "bfloat16", "type", "share_memory", "requires_grad_",
    "train", "eval", "to_empty", "xpu", "mps", "ipu",
}
#: methods that prove the receiver is an nn.Module
MODULE_EVIDENCE_METHODS = {
    "eval", "train", "parameters", "named_parameters", "state_dict", "load_state_dict", "modules",
    "named_modules", "children", "named_children", "requires_grad_", "zero_grad", "apply", "buffers",
    "named_buffers", "register_forward_hook", "register_forward_pre_hook", "register_buffer",
}
#: nn.Module methods: `model.parameters` (without a call) is a bound method, not a child
MODULE_METHOD_NAMES = MODULE_EVIDENCE_METHODS | SELF_RETURNING_METHODS | {
    "register_parameter", "register_full_backward_hook"}
#: method calls on a model that run its forward pass (for inference)
FORWARD_METHODS = {"forward", "predict", "predict_proba", "generate", "predict_step"}
#: of those, the ones that disable gradients themselves (HF `generate`)
SELF_NO_GRAD_METHODS = {"generate"}

_METHOD_VERBS = re.compile(
    r"^_*(get|set|save|load|reset|enable|disable|register|num|init|prepare|compute|print|to|from|tie|resize|push|"
    r"freeze|unfreeze|fuse|update|add|remove|build|create|make|apply|zero|clip|check|is|has|forward|generate|"
    r"predict|encode|decode|sample|train|eval|export|extra|named|state|share|half|float|double|cuda|cpu|type|"
    r"post|pre|merge|unmerge|delete|print|log|summary|info|profile|dump|reparam|switch|convert|quantize|prune|"
    r"calibrate|gradient|floating|smart|can|use|run|call|step|infer|inference|score|embed|transform|"
    r"preprocess|postprocess|tokenize|detect|track|plot|show|visualize|fit|val|test|benchmark|warmup|"
    r"requires|parameters|modules|children|buffers|cast|bfloat16|xpu|mps|ipu|active|resize)(_|$)"
)


_SUBMODULE_NAMES = re.compile(
    r"^_?(backbone|encoder|decoder|head|heads|neck|stem|trunk|body|features|feature_extractor|classifier|"
    r"fc|linear|proj|projection|projector|pool|pooler|norm|bn|embed|embedding|embeddings|embedder|"
    r"layer|layers|block|blocks|stage|stages|conv|model|net|network|module|base_model|transformer|"
    r"attention|attn|mlp|ffn|lm_head|generator|discriminator|critic|actor|policy|q_net|teacher|student|"
    r"ema|target|tokenizer_model|vision_model|text_model|image_encoder|text_encoder|vae|unet|rnn|lstm|gru|"
    r"dropout|drop|dense|out|output_layer|predictor|regressor|bottleneck|adapter|encoders|decoders)(_\w+)?\d*$"
)


def looks_like_submodule(attr: str) -> bool:
    """`backbone`, `fc`, `layer4`, `encoder` (a child module) rather than a method such
    as `save_pretrained`, `copy_` or `items`."""
    return bool(_SUBMODULE_NAMES.match(attr)) and not _METHOD_VERBS.match(attr)


#: class names of drivers (trainers, predictors, agents): objects that *use* models
DRIVER_CLASS = re.compile(
    r"(Trainer|Runner|Predictor|Evaluator|Engine|Agent|Algorithm|Learner|Pipeline|Inferencer|Estimator|"
    r"Experiment|Solver|Strategy|Worker|Handler|Service|Server|App|Tester|"
    r"Validator|Exporter|Callback|Manager|Loop|Launcher|Fitter|Searcher)$"
)
#: bases that are never nn.Modules
NON_MODULE_BASES = ("object", "abc.ABC", "ABC", "typing.Generic", "Generic", "sklearn.", "enum.", "Enum",
                    "Exception", "dict", "list", "typing.NamedTuple", "NamedTuple", "Protocol", "typing.Protocol")

#: receivers whose `.train()` / `.eval()` are not nn.Module methods (idioms §6)
NON_MODULE_RECEIVER = re.compile(
    r"(trainer|runner|strategy|optim|optimizer|dataset|data|loader|env|algo|agent|learner|engine|corpus|"
    r"scheduler|tokenizer|evaluator|metric|split)", re.I
)

#: external callables that receive a model and leave its mode alone
MODE_NEUTRAL_CALLS = {
    "print", "len", "isinstance", "issubclass", "str", "repr", "type", "id", "getattr", "hasattr", "setattr",
    "callable", "sum", "zip", "enumerate", "list", "tuple", "dict", "set", "sorted", "iter", "next", "vars",
    "dir", "format", "max", "min", "any", "all", "map", "filter",
    "torch.save", "torch.onnx.export", "copy.copy", "logging.info", "logging.debug", "logging.warning",
    "wandb.watch", "torch.nn.utils.clip_grad_norm_", "torch.nn.utils.clip_grad_value_",
    "torch.nn.init.xavier_uniform_", "torch.nn.init.kaiming_normal_",
}
MODE_NEUTRAL_PREFIXES = ("torch.optim.", "logging.", "torchinfo.", "torchsummary.", "torch.nn.init.", "torch.utils.tensorboard")

DEEPCOPY = {"copy.deepcopy"}

# ---------------------------------------------------------------------------------
# Inference signals (SPEC §3)

_WORDS = re.compile(r"[A-Za-z][a-z]*|[0-9]+")
_INFERENCE_WORDS = {
    "eval", "evaluate", "evaluation", "evaluator", "validate", "validation", "val", "valid", "test", "testing",
    "predict", "prediction", "predictions", "predictor", "infer", "inference", "score", "scoring", "sample",
    "sampling", "generate", "generation", "accuracy", "benchmark", "embed", "extract", "classify", "detect",
    "translate", "decode", "inference",
}
_STRONG_INFERENCE_WORDS = {
    "eval", "evaluate", "evaluation", "validate", "validation", "val", "valid", "test", "testing",
    "predict", "prediction", "predictions", "infer", "inference", "score", "scoring", "accuracy",
}
_LOADER_WORDS = {"val", "valid", "validation", "test", "testing", "eval", "evaluation", "dev", "holdout", "heldout", "query"}


def words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(name)]


def is_inference_function_name(name: str) -> bool:
    """evaluate / validate / test / predict / infer / score ..., but not a pytest test
    (`test_*`), which may run a model in any mode on purpose."""
    if name.startswith("test_") or name.startswith("_test_"):
        return False
    return bool(set(words(name)) & _STRONG_INFERENCE_WORDS)


def is_inference_loader_name(text: str) -> bool:
    return bool(set(words(text)) & _LOADER_WORDS)


#: tensor methods whose result is the same data (a `volatile` input stays one through them)
TENSOR_SAME_DATA_METHODS = {
    "view", "reshape", "unsqueeze", "squeeze", "cuda", "cpu", "to", "float", "half", "double", "permute",
    "transpose", "contiguous", "expand", "flatten", "type", "unsqueeze_", "squeeze_",
}
#: methods on a forward's result that show it is used as a prediction
PREDICTION_METHODS = {"argmax", "argmin", "topk", "numpy", "tolist", "argsort"}
#: ... and calls that take it as a prediction
PREDICTION_CALLS = re.compile(
    r"^(argmax|topk|save_image|imsave|imwrite|save|savetxt|savez|writerow|writerows|to_csv"
    # evaluation metrics (sklearn, torchmetrics' functional API, the usual home-made ones)
    r"|accuracy|top1_accuracy|topk_accuracy|accuracy_score|f1_score|precision_score|recall_score|roc_auc_score"
    r"|average_precision_score|confusion_matrix|classification_report|r2_score|mean_squared_error"
    r"|mean_absolute_error|psnr|ssim|compute_psnr|compute_ssim|dice_score|iou_score|mean_iou|bleu_score"
    r"|corpus_bleu|sentence_bleu)$"
)

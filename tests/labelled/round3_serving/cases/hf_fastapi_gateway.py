"""Text gateway: ticket classification with a fine-tuned DeBERTa and reply drafting with a
LoRA adapter on a small causal LM. Both models come from `from_pretrained`."""
import logging
import os

import torch
from fastapi import FastAPI
from peft import PeftConfig, PeftModel
from pydantic import BaseModel
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

log = logging.getLogger("gateway")
CLS_DIR = os.environ.get("CLS_MODEL", "/models/ticket-deberta-v3")
ADAPTER_DIR = os.environ.get("REPLY_ADAPTER", "/models/reply-lora")
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"

cls_tokenizer = AutoTokenizer.from_pretrained(CLS_DIR)
classifier = AutoModelForSequenceClassification.from_pretrained(CLS_DIR).to(DEVICE)

peft_config = PeftConfig.from_pretrained(ADAPTER_DIR)
if not peft_config.inference_mode:
    log.warning("adapter was saved with inference_mode=False; serving it read-only anyway")
lm_tokenizer = AutoTokenizer.from_pretrained(peft_config.base_model_name_or_path)
base_lm = AutoModelForCausalLM.from_pretrained(peft_config.base_model_name_or_path, torch_dtype=torch.bfloat16)
reply_model = PeftModel.from_pretrained(base_lm, ADAPTER_DIR).to(DEVICE)

app = FastAPI(title="text-gateway")


class Tickets(BaseModel):
    texts: list[str]


class DraftRequest(BaseModel):
    ticket: str
    max_new_tokens: int = 160


@torch.inference_mode()
def classify(texts):
    enc = cls_tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt").to(DEVICE)
    probs = classifier(**enc).logits.softmax(-1)
    conf, idx = probs.max(-1)
    labels = classifier.config.id2label
    return [{"queue": labels[int(i)], "confidence": float(c)} for c, i in zip(conf, idx)]


@app.post("/classify")
def classify_endpoint(req: Tickets):
    return {"results": classify(req.texts)}


@app.post("/draft")
def draft_endpoint(req: DraftRequest):
    prompt = f"Customer ticket:\n{req.ticket}\n\nSuggested reply:\n"
    enc = lm_tokenizer(prompt, return_tensors="pt").to(DEVICE)
    out = reply_model.generate(**enc, max_new_tokens=req.max_new_tokens, do_sample=False,
                               pad_token_id=lm_tokenizer.eos_token_id)
    text = lm_tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    return {"draft": text.strip()}


@app.get("/healthz")
def healthz():
    return {"status": "ok", "classifier": CLS_DIR, "adapter": ADAPTER_DIR, "device": DEVICE}

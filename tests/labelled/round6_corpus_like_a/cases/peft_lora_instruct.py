"""LoRA instruction tuning of a small causal LM with a hand-written loop (peft + transformers)."""
import argparse
import json
import math

import torch
from peft import LoraConfig, TaskType, get_peft_model
from torch.utils.data import DataLoader
from transformers import AutoModelForCausalLM, AutoTokenizer, DataCollatorForLanguageModeling

PROMPT = "### Instruction:\n{instruction}\n\n### Response:\n"


def evaluate_perplexity(model, loader, device):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for batch in loader:
            batch = {k: v.to(device) for k, v in batch.items()}
            total += model(**batch).loss.item()
            n += 1
    return math.exp(total / max(n, 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="Qwen/Qwen2.5-0.5B")
    ap.add_argument("--data", default="instructions.jsonl")
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    tok = AutoTokenizer.from_pretrained(args.base)
    tok.pad_token = tok.pad_token or tok.eos_token
    base = AutoModelForCausalLM.from_pretrained(args.base, torch_dtype=torch.bfloat16)
    config = LoraConfig(task_type=TaskType.CAUSAL_LM, r=16, lora_alpha=32, lora_dropout=0.05,
                        target_modules=["q_proj", "v_proj"], inference_mode=False)
    model = get_peft_model(base, config).to(device)
    model.print_trainable_parameters()

    rows = [json.loads(line) for line in open(args.data)]
    texts = [PROMPT.format(instruction=r["instruction"]) + r["response"] + tok.eos_token for r in rows]
    enc = [tok(t, truncation=True, max_length=512) for t in texts]
    collator = DataCollatorForLanguageModeling(tok, mlm=False)
    train_loader = DataLoader(enc[:-200], batch_size=8, shuffle=True, collate_fn=collator)
    val_loader = DataLoader(enc[-200:], batch_size=8, collate_fn=collator)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4)

    for epoch in range(args.epochs):
        model.train()
        for step, batch in enumerate(train_loader):
            loss = model(**{k: v.to(device) for k, v in batch.items()}).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        print(f"epoch {epoch}: train loss {loss.item():.4f} val ppl {evaluate_perplexity(model, val_loader, device):.2f}")

    prompt = tok(PROMPT.format(instruction="List three uses of a paperclip."), return_tensors="pt").to(device)
    out = model.generate(**prompt, max_new_tokens=120, do_sample=False)
    print(tok.decode(out[0], skip_special_tokens=True))
    model.save_pretrained("lora-adapter")


if __name__ == "__main__":
    main()

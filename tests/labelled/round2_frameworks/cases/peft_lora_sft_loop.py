"""LoRA instruction tuning of a causal LM with peft and a hand-written PyTorch loop."""
import argparse
import json
import math

import torch
from peft import LoraConfig, TaskType, get_peft_model
from torch.utils.data import DataLoader
from transformers import AutoModelForCausalLM, AutoTokenizer, get_cosine_schedule_with_warmup

PROMPT = "### Instruction:\n{instruction}\n\n### Response:\n"


def load_records(path, tokenizer, max_len):
    rows = []
    with open(path) as fh:
        for line in fh:
            ex = json.loads(line)
            text = PROMPT.format(instruction=ex["instruction"]) + ex["output"] + tokenizer.eos_token
            enc = tokenizer(text, truncation=True, max_length=max_len, padding="max_length", return_tensors="pt")
            ids, mask = enc["input_ids"][0], enc["attention_mask"][0]
            labels = ids.clone()
            labels[mask == 0] = -100
            rows.append({"input_ids": ids, "attention_mask": mask, "labels": labels})
    return rows


@torch.no_grad()
def eval_perplexity(model, loader, device):
    model.eval()
    total, count = 0.0, 0
    for batch in loader:
        batch = {k: v.to(device) for k, v in batch.items()}
        total += model(**batch).loss.item()
        count += 1
    return math.exp(total / max(count, 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="Qwen/Qwen2.5-0.5B")
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--max-len", type=int, default=512)
    ap.add_argument("--out", default="lora-out")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tokenizer = AutoTokenizer.from_pretrained(args.base)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    base = AutoModelForCausalLM.from_pretrained(args.base, torch_dtype=torch.bfloat16)
    lora = LoraConfig(task_type=TaskType.CAUSAL_LM, r=16, lora_alpha=32, lora_dropout=0.05,
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj"], inference_mode=False)
    model = get_peft_model(base, lora).to(device)
    model.print_trainable_parameters()

    train_loader = DataLoader(load_records(args.train, tokenizer, args.max_len), batch_size=8, shuffle=True)
    val_loader = DataLoader(load_records(args.val, tokenizer, args.max_len), batch_size=8)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    total_steps = len(train_loader) * args.epochs
    scheduler = get_cosine_schedule_with_warmup(optimizer, int(0.03 * total_steps), total_steps)

    for epoch in range(args.epochs):
        for step, batch in enumerate(train_loader):
            batch = {k: v.to(device) for k, v in batch.items()}
            loss = model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            if step % 50 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.2e}")

    print(f"val perplexity {eval_perplexity(model, val_loader, device):.2f}")
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)


if __name__ == "__main__":
    main()

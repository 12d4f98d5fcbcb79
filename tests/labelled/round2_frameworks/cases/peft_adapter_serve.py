"""Serve a LoRA adapter on top of a base causal LM: greedy completions for a prompt file and
per-answer log-likelihood scoring for multiple-choice questions."""
import argparse
import json

import torch
from peft import PeftConfig, PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer


def load(adapter_dir, merge):
    cfg = PeftConfig.from_pretrained(adapter_dir)
    if not cfg.inference_mode:
        print("warning: adapter was saved with inference_mode=False")
    tokenizer = AutoTokenizer.from_pretrained(cfg.base_model_name_or_path, padding_side="left")
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    base = AutoModelForCausalLM.from_pretrained(cfg.base_model_name_or_path, torch_dtype=torch.bfloat16,
                                                device_map="auto")
    model = PeftModel.from_pretrained(base, adapter_dir)
    if merge:
        model = model.merge_and_unload()
    return model, tokenizer


def complete(model, tokenizer, prompts, max_new_tokens=128):
    enc = tokenizer(prompts, return_tensors="pt", padding=True).to(model.device)
    out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                         pad_token_id=tokenizer.pad_token_id)
    return tokenizer.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)


@torch.inference_mode()
def answer_logprob(model, tokenizer, question, answer):
    prompt_ids = tokenizer(question, return_tensors="pt")["input_ids"]
    full = tokenizer(question + " " + answer, return_tensors="pt").to(model.device)
    logits = model(**full).logits[:, :-1].float()
    targets = full["input_ids"][:, 1:]
    logp = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return logp[:, prompt_ids.shape[1] - 1:].sum().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("adapter")
    ap.add_argument("--prompts", help="text file, one prompt per line")
    ap.add_argument("--mcq", help="jsonl with question / choices / answer")
    ap.add_argument("--merge", action="store_true")
    args = ap.parse_args()
    model, tokenizer = load(args.adapter, args.merge)

    if args.prompts:
        prompts = [line.strip() for line in open(args.prompts) if line.strip()]
        for i in range(0, len(prompts), 8):
            for p, c in zip(prompts[i:i + 8], complete(model, tokenizer, prompts[i:i + 8])):
                print(json.dumps({"prompt": p, "completion": c}))
    if args.mcq:
        correct = total = 0
        for line in open(args.mcq):
            item = json.loads(line)
            scores = [answer_logprob(model, tokenizer, item["question"], c) for c in item["choices"]]
            correct += int(max(range(len(scores)), key=scores.__getitem__) == item["answer"])
            total += 1
        print(f"accuracy {correct / total:.3f} on {total} questions")


if __name__ == "__main__":
    main()

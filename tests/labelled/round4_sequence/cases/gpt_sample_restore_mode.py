"""Decoder-only Transformer LM on BPE tokens, compiled with torch.compile. Every N steps a
temperature/top-k sample is printed; sampling saves and restores the training flag."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from tokenizers import ByteLevelBPETokenizer


class CausalSelfAttention(nn.Module):
    def __init__(self, d, n_head, p):
        super().__init__()
        self.n_head, self.p = n_head, p
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.resid_drop = nn.Dropout(p)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, C // self.n_head).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=self.p if self.training else 0.0)
        return self.resid_drop(self.proj(y.transpose(1, 2).reshape(B, T, C)))


class GPT(nn.Module):
    def __init__(self, vocab=50304, ctx=256, d=512, n_head=8, n_layer=8, p=0.1):
        super().__init__()
        self.ctx = ctx
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList(nn.ModuleDict(dict(ln1=nn.LayerNorm(d), attn=CausalSelfAttention(d, n_head, p),
                                                        ln2=nn.LayerNorm(d), mlp=nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d), nn.Dropout(p))))
                                    for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.wte.weight = self.lm_head.weight
        self.emb_p = p

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.size(1), device=idx.device))
        x = F.dropout(x, self.emb_p, training=self.training)
        for b in self.blocks:
            x = x + b["attn"](b["ln1"](x))
            x = x + b["mlp"](b["ln2"](x))
        return self.lm_head(self.ln_f(x))


def sample(model, prompt_ids, steps=200, temperature=0.9, top_k=50):
    was_training = model.training
    model.eval()
    idx = prompt_ids
    with torch.inference_mode():
        for _ in range(steps):
            logits = model(idx[:, -model.ctx:])[:, -1] / temperature
            kth = torch.topk(logits, top_k).values[:, -1:]
            probs = F.softmax(logits.masked_fill(logits < kth, float("-inf")), dim=-1)
            idx = torch.cat([idx, torch.multinomial(probs, 1)], dim=1)
    model.train(was_training)
    return idx


def lr_at(step, warmup=2000, total=100000, peak=6e-4):
    if step < warmup:
        return peak * step / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def main(batches, text_files, total_steps=100000, sample_every=2000, device="cuda"):
    tokenizer = ByteLevelBPETokenizer()
    tokenizer.train(files=text_files, vocab_size=50304, min_frequency=2)
    model = GPT().to(device)
    cmodel = torch.compile(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95), weight_decay=0.1)
    prompt = torch.tensor([tokenizer.encode("Once upon a time").ids], device=device)
    model.train()
    for step, (x, y) in zip(range(total_steps), batches):
        for g in optimizer.param_groups:
            g["lr"] = lr_at(step, total=total_steps)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = cmodel(x.to(device))
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.to(device).view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % sample_every == 0:
            print(f"step {step} loss {loss.item():.3f}")
            print(tokenizer.decode(sample(model, prompt)[0].tolist()))
    torch.save(model.state_dict(), "gpt_final.pt")
    print(tokenizer.decode(sample(model, prompt, steps=500)[0].tolist()))

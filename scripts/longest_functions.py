#!/usr/bin/env python3
"""The longest functions under sim/ and models/, by lines from signature to closing brace (a
heuristic on the text: a signature line ending in '{' at an indentation of at most four spaces).

    python3 scripts/longest_functions.py [N]
"""
import re,sys,subprocess
files=subprocess.check_output(['git','ls-files','sim','models']).decode().split()
res=[]
sig=re.compile(r'^(\s{0,4})(?!if\b|for\b|while\b|switch\b|else\b|do\b|namespace\b|struct\b|class\b|enum\b|return\b|case\b)[A-Za-z_~][\w:<>,\s\*&~\[\]]*\([^;]*\)\s*(const)?\s*(override|final)?\s*(noexcept)?\s*(->\s*[\w:<>]+)?\s*\{\s*$')
for f in files:
    if not f.endswith('.cpp') and not f.endswith('.hpp'): continue
    L=open(f).read().split('\n')
    i=0
    while i<len(L):
        m=sig.match(L[i])
        if m and '=' not in L[i].split('(')[0]:
            depth=0; j=i
            while j<len(L):
                depth+=L[j].count('{')-L[j].count('}')
                if depth<=0 and j>i: break
                j+=1
            res.append((j-i+1,f,i+1,L[i].strip()[:70])); i=j+1; continue
        i+=1
res.sort(reverse=True)
n = int(sys.argv[1]) if len(sys.argv) > 1 else 12
for r in res[:n]:
    print(*r)

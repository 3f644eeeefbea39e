#!/usr/bin/env python3
"""Reference runner for the rule pack's *.tests.yml files.

Not the engine: a small Python evaluator of the Sigma semantics the pack relies on (README.md,
"Engine features the pack needs"), used to check that every test case's expectation is consistent.
`log:` and `json:` events are run through the real parsers with the built binary
(`vigil ingest` into a temporary data directory, then `vigil search`), so field names are Vigil's.

Semantics assumed: the first document of a rule file is the alerting rule; referenced rules do not
alert; event_count / value_count use a sliding window per group and fire once when the condition first
holds (the group's window is then cleared); temporal_ordered fires when the referenced rules matched in
order within the timespan for the same group. Product routing: audit records and syslog lines -> linux,
records with Channel -> windows, cloud.provider aws -> aws, GitHub audit entries -> github, else
event.module.

usage: python3 rules/tools/run_tests.py [rule.yml ...]   (needs PyYAML and target/release/vigil)
"""
import yaml, json, glob, re, sys, subprocess, tempfile, os, datetime, copy
VIGIL=os.environ.get('VIGIL', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../target/release/vigil'))
def parse_events(items):
    lines=[]
    for it in items:
        if 'log' in it: lines.append(it['log'])
        else: lines.append(json.dumps(it['json'],separators=(',',':')))
    d=tempfile.mkdtemp(); f=os.path.join(d,'in.log')
    open(f,'w').write('\n'.join(lines)+'\n')
    subprocess.run([VIGIL,'ingest','--data-dir',d+'/data',f],check=True,capture_output=True)
    out=subprocess.run([VIGIL,'search','--data-dir',d+'/data','--format','json','--from','2000-01-01T00:00:00Z','--to','2030-01-01T00:00:00Z','--limit','10000','*'],check=True,capture_output=True).stdout
    hits=json.loads(out)['hits']
    subprocess.run(['rm','-rf',d])
    byorig={}
    for h in hits: byorig.setdefault(h.get('event',{}).get('original'),[]).append(h)
    evs=[]
    for l in lines:
        c=byorig.get(l)
        if not c: raise Exception('no event for '+l[:100])
        evs.append(c.pop())
    return evs
def ptime(s): return datetime.datetime.fromisoformat(s.replace('Z','+00:00'))
def get(ev,path):
    if path in ev: return ev[path]
    cur=ev
    for p in path.split('.'):
        if isinstance(cur,dict) and p in cur: cur=cur[p]
        else:
            # try flat remainder
            return None
    return cur
def vals(v):
    if v is None: return []
    return v if isinstance(v,list) else [v]
def match_value(fv, mods, pat, ph):
    if 'expand' in mods:
        name=pat.strip('%'); pats=ph.get(name)
        if pats is None: raise Exception('placeholder not configured '+name)
        return any(match_value(fv,[m for m in mods if m!='expand'],p,ph) for p in pats)
    if any(m in mods for m in ('lt','lte','gt','gte')):
        try: x=float(fv)
        except: return False
        m=[m for m in mods if m in ('lt','lte','gt','gte')][0]
        return {'lt':x<pat,'lte':x<=pat,'gt':x>pat,'gte':x>=pat}[m]
    if isinstance(fv,bool): fs=str(fv).lower()
    else: fs=str(fv)
    if isinstance(pat,bool): ps=str(pat).lower()
    else: ps=str(pat)
    if 're' in mods: return re.search(ps,fs) is not None
    a,b=fs.lower(),ps.lower()
    if 'contains' in mods: return b in a
    if 'startswith' in mods: return a.startswith(b)
    if 'endswith' in mods: return a.endswith(b)
    if '*' in b or '?' in b:
        rx='^'+''.join('.*' if c=='*' else '.' if c=='?' else re.escape(c) for c in b)+'$'
        return re.match(rx,a,re.S) is not None
    return a==b
def match_map(ev,m,ph):
    for k,pat in m.items():
        f,*mods=k.split('|')
        fv=vals(get(ev,f))
        if 'exists' in mods:
            if bool(fv)!=pat: return False
            continue
        pats=pat if isinstance(pat,list) else [pat]
        if pat is None:
            if fv: return False
            continue
        if 'all' in mods:
            if not all(any(match_value(x,mods,p,ph) for x in fv) for p in pats): return False
        else:
            if not any(match_value(x,mods,p,ph) for x in fv for p in pats): return False
    return True
def match_sel(ev,sel,ph):
    if isinstance(sel,list):
        if all(isinstance(x,dict) for x in sel): return any(match_map(ev,x,ph) for x in sel)
        return any(str(k).lower() in json.dumps(ev).lower() for k in sel)
    return match_map(ev,sel,ph)
def eval_cond(cond,det,ev,ph):
    toks=re.findall(r'\(|\)|[^\s()]+',cond); pos=[0]
    def peek(): return toks[pos[0]] if pos[0]<len(toks) else None
    def nxt(): t=toks[pos[0]]; pos[0]+=1; return t
    def names(p):
        rx=re.compile('^'+re.escape(p).replace('\\*','.*')+'$')
        return [k for k in det if k!='condition' and rx.match(k)]
    def atom():
        t=nxt()
        if t=='(':
            v=orx(); assert nxt()==')'; return v
        if t=='not': return not atom()
        if t in ('1','all') and peek()=='of':
            nxt(); p=nxt(); ns=names(p) if p!='them' else [k for k in det if k!='condition']
            r=[match_sel(ev,det[n],ph) for n in ns]
            return any(r) if t=='1' else all(r)
        return match_sel(ev,det[t],ph)
    def andx():
        v=atom()
        while peek()=='and': nxt(); w=atom(); v=v and w
        return v
    def orx():
        v=andx()
        while peek()=='or': nxt(); w=andx(); v=v or w
        return v
    return orx()
def product_of(ev):
    m=get(ev,'event.module')
    if m=='auditd' or get(ev,'log.syslog') is not None: return 'linux'
    if 'Channel' in ev or get(ev,'winlog.channel'): return 'windows'
    if get(ev,'cloud.provider')=='aws': return 'aws'
    if 'actor' in ev and 'action' in ev: return 'github'
    return m
def ls_match(ev,ls):
    if 'product' in ls and product_of(ev)!=ls['product']: return False
    if 'category' in ls and ls['category'] not in vals(get(ev,'event.category')): return False
    if 'service' in ls:
        svc=get(ev,'log.syslog.appname') or get(ev,'event.dataset')
        if svc!=ls['service']: return False
    return True
def span(s):
    n=int(s[:-1]); return n*{'s':1,'m':60,'h':3600,'d':86400}[s[-1]]
def cond_ok(c,x):
    return all({'gt':x>v,'gte':x>=v,'lt':x<v,'lte':x<=v,'eq':x==v,'neq':x!=v}[k] for k,v in c.items() if k!='field')
def run_rule(rule,byname,events,ph):
    """returns list of output events (dicts with @t and group fields)"""
    if 'correlation' not in rule:
        out=[]
        for ev in events:
            if ls_match(ev,rule['logsource']) and eval_cond(rule['detection']['condition'],rule['detection'],ev,ph):
                out.append({'t':ptime(ev['@timestamp']),'ev':ev})
        return out
    c=rule['correlation']; gb=c['group-by']; T=span(c['timespan'])
    subs=[(n,run_rule(byname[n],byname,events,ph)) for n in c['rules']]
    def key(o): return tuple(json.dumps(get(o['ev'],g)) for g in gb)
    outs=[]
    if c['type'] in ('event_count','value_count'):
        stream=sorted([o for n,l in subs for o in l],key=lambda o:o['t'])
        win={}
        for o in stream:
            k=key(o); w=win.setdefault(k,[]); w.append(o)
            w[:]=[x for x in w if (o['t']-x['t']).total_seconds()<=T]
            if c['type']=='event_count': x=len(w)
            else:
                f=c['condition']['field']; x=len({json.dumps(get(y['ev'],f)) for y in w if get(y['ev'],f) is not None})
            if cond_ok(c['condition'],x):
                outs.append({'t':o['t'],'ev':{g:get(o['ev'],g) for g in gb} | {'_flat':True}}); win[k]=[]
    elif c['type'] in ('temporal_ordered','temporal'):
        tagged=sorted([(o['t'],i,o) for i,(n,l) in enumerate(subs) for o in l],key=lambda x:(x[0],x[1]))
        state={}
        for t,i,o in tagged:
            k=key(o); st=state.setdefault(k,{})
            st={j:tt for j,tt in st.items() if (t-tt).total_seconds()<=T}
            if c['type']=='temporal_ordered':
                if i==0 or all(j in st for j in range(i)): st[i]=t
            else: st[i]=t
            if all(j in st for j in range(len(subs))):
                outs.append({'t':t,'ev':{g:get(o['ev'],g) for g in gb}}); st={}
            state[k]=st
    return outs
def main(files):
    total=fail=0
    for rf in files:
        docs=list(yaml.safe_load_all(open(rf)))
        byname={}
        for d in docs:
            byname[d.get('name',d['id'])]=d; byname[d['id']]=d
        referenced={r for d in docs if 'correlation' in d for r in d['correlation']['rules']}
        top=[d for d in docs if d.get('name') not in referenced and d['id'] not in referenced]
        assert len(top)==1, rf
        top=top[0]
        tf=rf[:-4]+'.tests.yml'
        t=yaml.safe_load(open(tf))
        ph=t.get('placeholders',{})
        for case in t['cases']:
            total+=1
            evs=parse_events(case['events'])
            if case.get('repeat'):
                base=evs; evs=[]
                for r in range(case['repeat']):
                    for e in base:
                        e2=copy.deepcopy(e); e2['@timestamp']=(ptime(e['@timestamp'])+datetime.timedelta(seconds=r)).isoformat(); evs.append(e2)
            n=len(run_rule(top,byname,evs,ph))
            ok= n==case['expect']
            if not ok: fail+=1
            print(('OK  ' if ok else 'FAIL'),(rf.split('rules/',1)[-1]),'|',case['name'],'| got',n,'expect',case['expect'])
    print('total',total,'fail',fail)
    return fail
# group-by fields from correlation outputs are flat keys
_get=get
def get(ev,path):
    if isinstance(ev,dict) and ev.get('_flat'): return ev.get(path)
    return _get(ev,path)
if __name__ == '__main__':
    here = os.path.dirname(os.path.abspath(__file__))
    files = sys.argv[1:] or sorted(os.path.normpath(f) for f in glob.glob(os.path.join(here, '..', '**', '*.yml'), recursive=True) if not f.endswith('.tests.yml'))
    sys.exit(1 if main(files) else 0)

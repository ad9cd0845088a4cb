const { Deployment } = require('kubernetes-models/apps/v1/Deployment');
const { HTTPRoute } = require('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute');
function strict(Model, data0) { let data=data0;
  const seen = new WeakMap(), proxies = new WeakMap();
  const wrap = (v) => { if (v===null||typeof v!=='object') return v; if(proxies.has(v)) return proxies.get(v); seen.set(v,new Set()); const p=new Proxy(v,{get(t,k,r){ if(typeof k==='string') seen.get(t).add(k); return wrap(Reflect.get(t,k,r));}}); proxies.set(v,p); return p; };
  const errs=[];
  const inst=new Model(data); try { wrap(inst).validate(); } catch(e){ errs.push(e.message); } data=inst;
  const walk=(v,path)=>{ if(v===null||typeof v!=='object') return; if(Array.isArray(v)){v.forEach((x,i)=>walk(x,path+'/'+i));return;} const s=seen.get(v); for(const k of Object.keys(v)){ if(!s||!s.has(k)) errs.push('unknown field '+path+'/'+k); walk(v[k],path+'/'+k);} };
  walk(data,'');
  return errs;
}
const good = {apiVersion:'apps/v1',kind:'Deployment',metadata:{name:'x', labels:{a:'b'}, annotations:{'x/y':'z'}},spec:{selector:{matchLabels:{a:'b'}},template:{metadata:{labels:{a:'b'}},spec:{securityContext:{seccompProfile:{type:'RuntimeDefault'}},containers:[{name:'c',image:'i', env:[{name:'A',valueFrom:{secretKeyRef:{name:'s',key:'k'}}}], lifecycle:{preStop:{exec:{command:['sleep','5']}}}, readinessProbe:{httpGet:{path:'/readyz',port:'http'}}, ports:[{name:'http',containerPort:8080}], resources:{limits:{cpu:'1',memory:'1Gi'}}}]}}}};
console.log(strict(Deployment, JSON.parse(JSON.stringify(good))));
const bad = JSON.parse(JSON.stringify(good)); bad.spec.template.spec.containers[0].readinesProbe = {}; bad.spec.template.spec.containers[0].securityContext={readOnlyRootFileSystem:true};
console.log(strict(Deployment, bad));
console.log(strict(HTTPRoute, {apiVersion:'gateway.networking.k8s.io/v1',kind:'HTTPRoute',metadata:{name:'r'},spec:{parentRefs:[{name:'g', sectionName:'https'}],hostnames:['a.example.com'],rules:[{matches:[{path:{type:'PathPrefix',value:'/a'}}],filters:[{type:'RequestHeaderModifier',requestHeaderModifier:{remove:['X-Tenant-Id']}}],backendRefs:[{name:'s',port:8080}], timeouts:{request:'30s'}}]}}));
console.log(strict(HTTPRoute, {apiVersion:'gateway.networking.k8s.io/v1',kind:'HTTPRoute',metadata:{name:'r'},spec:{parentRefs:[{name:'g', sectionName:'https'}],rules:[{matches:[{path:{type:'PathPrefixx',value:'/a'}}],filterz:[], backendRefs:[{name:'s',port:8080}]}]}}));

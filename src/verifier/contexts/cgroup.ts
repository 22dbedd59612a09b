/**
 * The contexts of cgroup device, sysctl and sockopt programs (kernel/bpf/cgroup.c:
 * cgroup_dev_is_valid_access, sysctl_is_valid_access, cg_sockopt_is_valid_access).
 */
import { type ContextSpec, bounds, endOf, isAccess, layout, narrowOk, no, ok } from './common.js';

const DEV = layout([['access_type', 4], ['major', 4], ['minor', 4]]);

export const CGROUP_DEVICE_CTX: ContextSpec = {
  name: 'struct bpf_cgroup_dev_ctx',
  size: endOf(DEV),
  access(off, size, write) {
    if (write) return no('the context of cgroup device programs is read-only');
    if (off + size > endOf(DEV)) return no(`${size} bytes at offset ${off} run past the structure (${endOf(DEV)} bytes)`);
    const f = bounds(DEV, endOf(DEV), off, size);
    if (isAccess(f)) return f;
    if (f.name === 'access_type') return narrowOk(size, 4) ? ok() : no(`access_type: a load of ${size} bytes is not allowed`);
    return size === 4 ? ok() : no(`${f.name} must be read with a 4-byte load`);
  },
};

const SYSCTL = layout([['write', 4], ['file_pos', 4]]);

export const CGROUP_SYSCTL_CTX: ContextSpec = {
  name: 'struct bpf_sysctl',
  size: endOf(SYSCTL),
  access(off, size, write) {
    if (off + size > endOf(SYSCTL)) return no(`${size} bytes at offset ${off} run past the structure (${endOf(SYSCTL)} bytes)`);
    const f = bounds(SYSCTL, endOf(SYSCTL), off, size);
    if (isAccess(f)) return f;
    if (write) {
      if (f.name === 'write') return no('write is read-only');
      return size === 4 ? ok() : no('file_pos must be written with a 4-byte store');
    }
    return narrowOk(size, 4) ? ok() : no(`${f.name}: a load of ${size} bytes is not allowed`);
  },
};

const SOCKOPT = layout([['sk', 8], ['optval', 8], ['optval_end', 8], ['level', 4], ['optname', 4], ['optlen', 4], ['retval', 4]]);
/** BPF_CGROUP_GETSOCKOPT, BPF_CGROUP_SETSOCKOPT */
const GET = 21;
const SET = 22;

export function sockoptContext(attachType: number | undefined): ContextSpec {
  const at = attachType ?? GET;
  return {
    name: 'struct bpf_sockopt',
    size: endOf(SOCKOPT),
    access(off, size, write) {
      const f = bounds(SOCKOPT, endOf(SOCKOPT), off, size);
      if (isAccess(f)) return f;
      if (write) {
        if (off !== f.off) return no(`${f.name} is read-only`);
        if (f.name === 'retval') return size !== 4 ? no('retval must be written with a 4-byte store') : at === GET ? ok() : no('retval is only for getsockopt programs');
        if (f.name === 'optname' || f.name === 'level')
          return size !== 4 ? no(`${f.name} must be written with a 4-byte store`) : at === SET ? ok() : no(`${f.name} may only be written by setsockopt programs`);
        if (f.name === 'optlen') return size === 4 ? ok() : no('optlen must be written with a 4-byte store');
        return no(`${f.name} is read-only`);
      }
      switch (f.name) {
        case 'sk':
          return size === 8 ? ok('sock') : no('sk is a pointer, read with an 8-byte load');
        case 'optval':
          return size === 8 ? ok('packet') : no('optval is a pointer, read with an 8-byte load');
        case 'optval_end':
          return size === 8 ? ok('packet_end') : no('optval_end is a pointer, read with an 8-byte load');
        case 'retval':
          return size !== 4 ? no('retval must be read with a 4-byte load') : at === GET ? ok() : no('retval is only for getsockopt programs');
        default:
          return size === 4 ? ok() : no(`${f.name} must be read with a 4-byte load`);
      }
    },
  };
}

// SPDX-License-Identifier: MIT
/*
 * cellvm_vm_request_poweroff() until the guest has a power key: replaced
 * by the power branch (PL061 GPIO power key, issue 10 item 5).
 */
#include <errno.h>

#include "core/vm.h"

int cellvm_vm_request_poweroff(struct cellvm_vm *vm, struct cellvm_err *err)
{
	return cellvm_err_set(err, CELLVM_E_HOST, ENOSYS,
			      "this build has no power key for the guest");
}

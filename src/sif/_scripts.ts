/**
 * The fixed shell scripts Apptainer writes into every image it builds
 * (`internal/pkg/build/sources/*.sh`, BSD-3-Clause, Sylabs Inc. and the
 * Apptainer project), embedded as strings so the code works under
 * `deno compile`. Package-private.
 * @module
 */

const HEADER = `#!/bin/sh
# Copyright (c) 2021-2022 Apptainer a Series of LF Projects LLC
#   For website terms of use, trademark policy, privacy policy and other
#   project policies see https://lfprojects.org/policies
# Copyright (c) 2018-2021, Sylabs Inc. All rights reserved.
# This software is licensed under a 3-clause BSD license. Please consult the
# LICENSE.md file distributed with the sources of this project regarding your
# rights to use or distribute this software.
`;

const CONTRIBUTORS_HEADER = `#!/bin/sh
# Copyright (c) Contributors to the Apptainer project, established as
#   Apptainer a Series of LF Projects LLC.
#   For website terms of use, trademark policy, privacy policy and other
#   project policies see https://lfprojects.org/policies
# Copyright (c) 2018-2021, Sylabs Inc. All rights reserved.
# This software is licensed under a 3-clause BSD license. Please consult the
# LICENSE.md file distributed with the sources of this project regarding your
# rights to use or distribute this software.
`;

const LEGACY_NOTICE = `#
# Copyright (c) 2017, SingularityWare, LLC. All rights reserved.
# Copyright (c) 2015-2017, Gregory M. Kurtzer. All rights reserved.
#
# Copyright (c) 2016-2017, The Regents of the University of California,
# through Lawrence Berkeley National Laboratory (subject to receipt of any
# required approvals from the U.S. Dept. of Energy).  All rights reserved.
#
# This software is licensed under a customized 3-clause BSD license.  Please
# consult LICENSE.md file distributed with the sources of this project regarding
# your rights to use or distribute this software.
#
# NOTICE.  This Software was developed under funding from the U.S. Department of
# Energy and the U.S. Government consequently retains certain rights. As such,
# the U.S. Government has been granted for itself and others acting on its
# behalf a paid-up, nonexclusive, irrevocable, worldwide license in the Software
# to reproduce, distribute copies to the public, prepare derivative works, and
# perform publicly and display publicly, and to permit other to do so.
#
`;

const SOURCE_ENV = `
for script in $(ls /.singularity.d/env/*.sh | sort -n); do
    if [ -f "$script" ]; then
        . "$script"
    fi
done
`;

/** `/.singularity.d/actions/exec`. */
export const EXEC_ACTION = `${HEADER}${SOURCE_ENV}
exec "$@"
`;

/** `/.singularity.d/actions/run`. */
export const RUN_ACTION = `${HEADER}${SOURCE_ENV}
if test -n "\${SINGULARITY_APPNAME:-}"; then

    if test -x "/scif/apps/\${SINGULARITY_APPNAME:-}/scif/runscript"; then
        exec "/scif/apps/\${SINGULARITY_APPNAME:-}/scif/runscript" "$@"
    elif test -x "/scif/apps/singularity/scif/runscript"; then
        exec "/scif/apps/singularity/scif/runscript" "$@"
    else
        echo "No Apptainer runscript for contained app: \${SINGULARITY_APPNAME:-}"
        exit 1
    fi

elif test -x "/.singularity.d/runscript"; then
    exec "/.singularity.d/runscript" "$@"
else
    echo "No Apptainer runscript found, executing /bin/sh"
    exec /bin/sh "$@"
fi
`;

/** `/.singularity.d/actions/shell`. */
export const SHELL_ACTION = `${HEADER}${SOURCE_ENV}
if test -n "$SINGULARITY_SHELL" -a -x "$SINGULARITY_SHELL"; then
    exec $SINGULARITY_SHELL "$@"

    echo "ERROR: Failed running shell as defined by '\\$SINGULARITY_SHELL'" 1>&2
    exit 1

elif test -x /bin/bash; then
    SHELL=/bin/bash
    PS1="Apptainer $APPTAINER_NAME:\\\\w> "
    export SHELL PS1
    exec /bin/bash --norc "$@"
elif test -x /bin/sh; then
    SHELL=/bin/sh
    export SHELL
    exec /bin/sh "$@"
else
    echo "ERROR: /bin/sh does not exist in container" 1>&2
fi
exit 1
`;

/** `/.singularity.d/actions/start`. */
export const START_ACTION = `${HEADER}
# if we are here start notify PID 1 to continue
# DON'T REMOVE
kill -CONT 1
${SOURCE_ENV}
if test -x "/.singularity.d/startscript"; then
    exec "/.singularity.d/startscript"
fi
`;

/** `/.singularity.d/actions/test`. */
export const TEST_ACTION = `${HEADER}${SOURCE_ENV}

if test -n "\${SINGULARITY_APPNAME:-}"; then

    if test -x "/scif/apps/\${SINGULARITY_APPNAME:-}/scif/test"; then
        exec "/scif/apps/\${SINGULARITY_APPNAME:-}/scif/test" "$@"
    elif test -x "/scif/apps/singularity/scif/test"; then
        exec "/scif/apps/singularity/scif/test" "$@"
    else
        echo "No tests for contained app: \${SINGULARITY_APPNAME:-}"
        exit 1
    fi
elif test -x "/.singularity.d/test"; then
    exec "/.singularity.d/test" "$@"
else
    echo "No test found in container, executing /bin/sh -c true"
    exec /bin/sh -c true
fi
`;

/** `/.singularity.d/env/01-base.sh`. */
export const ENV_01_BASE = `${HEADER}${LEGACY_NOTICE}`;

/** `/.singularity.d/env/90-environment.sh`. */
export const ENV_90_ENVIRONMENT = `${HEADER}
# Custom environment shell code should follow
`;

/** `/.singularity.d/env/95-apps.sh`. */
export const ENV_95_APPS = `${CONTRIBUTORS_HEADER}#
# Copyright (c) 2017, SingularityWare, LLC. All rights reserved.
#
# See the COPYRIGHT.md file at the top-level directory of this distribution and at
# https://github.com/apptainer/apptainer/blob/main/COPYRIGHT.md.
#
# This file is part of the Apptainer Linux container project. It is subject to the license
# terms in the LICENSE.md file found in the top-level directory of this distribution and
# at https://github.com/apptainer/apptainer/blob/main/LICENSE.md. No part
# of Apptainer, including this file, may be copied, modified, propagated, or distributed
# except according to the terms contained in the LICENSE.md file.

if test -n "\${SINGULARITY_APPNAME:-}"; then

    # The active app should be exported
    export SINGULARITY_APPNAME

    if test -d "/scif/apps/\${SINGULARITY_APPNAME:-}/"; then
        SCIF_APPS="/scif/apps"
        SCIF_APPROOT="/scif/apps/\${SINGULARITY_APPNAME:-}"
        export SCIF_APPROOT SCIF_APPS
        PATH="/scif/apps/\${SINGULARITY_APPNAME:-}:/scif/apps/singularity:$PATH"

        # Automatically add application bin to path
        if test -d "/scif/apps/\${SINGULARITY_APPNAME:-}/bin"; then
            PATH="/scif/apps/\${SINGULARITY_APPNAME:-}/bin:$PATH"
        elif test -d "/scif/apps/singularity/bin"; then
            PATH="/scif/apps/singularity/bin:$PATH"
        fi

        # Automatically add application lib to LD_LIBRARY_PATH
        if test -d "/scif/apps/\${SINGULARITY_APPNAME:-}/lib"; then
            LD_LIBRARY_PATH="/scif/apps/\${SINGULARITY_APPNAME:-}/lib:$LD_LIBRARY_PATH"
            export LD_LIBRARY_PATH
        elif test -d "/scif/apps/singularity/lib"; then
            LD_LIBRARY_PATH="/scif/apps/singularity/lib:$LD_LIBRARY_PATH"
            export LD_LIBRARY_PATH
        fi

        # Automatically source environment
        if [ -f "/scif/apps/\${SINGULARITY_APPNAME:-}/scif/env/01-base.sh" ]; then
            . "/scif/apps/\${SINGULARITY_APPNAME:-}/scif/env/01-base.sh"
\t\telif [ -f "/scif/apps/singularity/scif/env/01-base.sh" ]; then
            . "/scif/apps/singularity/scif/env/01-base.sh" "$@"
        fi
        if [ -f "/scif/apps/\${SINGULARITY_APPNAME:-}/scif/env/90-environment.sh" ]; then
            . "/scif/apps/\${SINGULARITY_APPNAME:-}/scif/env/90-environment.sh"
\t\telif [ -f "/scif/apps/singularity/scif/env/90-environment.sh" ]; then
            . "/scif/apps/singularity/scif/env/90-environment.sh" "$@"
        fi

        export PATH
    else
        echo "Could not locate the container application: \${SINGULARITY_APPNAME}"
        exit 1
    fi
fi
`;

/** `/.singularity.d/env/99-base.sh`: appends the libs folder to LD_LIBRARY_PATH, sets PS1. */
export const ENV_99_BASE = `${CONTRIBUTORS_HEADER}${LEGACY_NOTICE}
if [ -z "$LD_LIBRARY_PATH" ]; then
    LD_LIBRARY_PATH="/.singularity.d/libs"
else
    LD_LIBRARY_PATH="$LD_LIBRARY_PATH:/.singularity.d/libs"
fi

if test -z "\${PS1:-}"; then
        export PS1="Apptainer> "
fi
export LD_LIBRARY_PATH PS1
`;

/** `/.singularity.d/env/99-runtimevars.sh`. */
export const ENV_99_RUNTIMEVARS = `${CONTRIBUTORS_HEADER}#

if [ -n "\${SING_USER_DEFINED_PREPEND_PATH:-}" ]; then
\tPATH="\${SING_USER_DEFINED_PREPEND_PATH}:\${PATH}"
fi

if [ -n "\${SING_USER_DEFINED_APPEND_PATH:-}" ]; then
\tPATH="\${PATH}:\${SING_USER_DEFINED_APPEND_PATH}"
fi

if [ -n "\${SING_USER_DEFINED_PATH:-}" ]; then
\tPATH="\${SING_USER_DEFINED_PATH}"
fi

unset SING_USER_DEFINED_PREPEND_PATH \\
\t  SING_USER_DEFINED_APPEND_PATH \\
\t  SING_USER_DEFINED_PATH

export PATH
`;

/** `/.singularity.d/startscript`. */
export const STARTSCRIPT = CONTRIBUTORS_HEADER;

<?php echo "bob";

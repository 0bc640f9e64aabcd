<?php echo "alice";
